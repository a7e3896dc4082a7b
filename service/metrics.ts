/**
 * Prometheus text exposition, kept by hand (a few counters and one histogram need no client library):
 * requests and latency by route, findings stored, decisions by outcome, deployment checks by answer,
 * admission reviews by answer.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

export class Metrics {
  private readonly requests = new Map<string, number>();
  private readonly latency = new Map<string, Histogram>();
  private readonly decisions = new Map<string, number>();
  private readonly checks = new Map<string, number>();
  private readonly reviews = new Map<string, number>();
  findingsIngested = 0;

  request(method: string, route: string, status: number, seconds: number): void {
    const key = `method="${method}",route="${labelValue(route)}",status="${status}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    const hkey = `method="${method}",route="${labelValue(route)}"`;
    let h = this.latency.get(hkey);
    if (!h) {
      h = { counts: BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.latency.set(hkey, h);
    }
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]!) h.counts[i]!++;
    h.sum += seconds;
    h.count++;
  }

  decision(outcome: string, n = 1): void {
    this.decisions.set(outcome, (this.decisions.get(outcome) ?? 0) + n);
  }

  deploymentCheck(answer: 'allowed' | 'denied' | 'unevaluated'): void {
    this.checks.set(answer, (this.checks.get(answer) ?? 0) + 1);
  }

  /** An admission review answered: allowed, allowed with warnings, denied, or malformed. */
  admissionReview(answer: 'allowed' | 'warned' | 'denied' | 'malformed'): void {
    this.reviews.set(answer, (this.reviews.get(answer) ?? 0) + 1);
  }

  render(findingsStored: number): string {
    const out: string[] = [];
    out.push('# HELP driftgate_http_requests_total HTTP requests by route and status.');
    out.push('# TYPE driftgate_http_requests_total counter');
    for (const [k, v] of this.requests) out.push(`driftgate_http_requests_total{${k}} ${v}`);
    out.push('# HELP driftgate_http_request_duration_seconds HTTP request latency by route.');
    out.push('# TYPE driftgate_http_request_duration_seconds histogram');
    for (const [k, h] of this.latency) {
      for (let i = 0; i < BUCKETS.length; i++)
        out.push(`driftgate_http_request_duration_seconds_bucket{${k},le="${BUCKETS[i]}"} ${h.counts[i]}`);
      out.push(`driftgate_http_request_duration_seconds_bucket{${k},le="+Inf"} ${h.count}`);
      out.push(`driftgate_http_request_duration_seconds_sum{${k}} ${h.sum}`);
      out.push(`driftgate_http_request_duration_seconds_count{${k}} ${h.count}`);
    }
    out.push('# HELP driftgate_findings_stored Findings in the store.');
    out.push('# TYPE driftgate_findings_stored gauge');
    out.push(`driftgate_findings_stored ${findingsStored}`);
    out.push('# HELP driftgate_findings_ingested_total New findings stored by this process.');
    out.push('# TYPE driftgate_findings_ingested_total counter');
    out.push(`driftgate_findings_ingested_total ${this.findingsIngested}`);
    out.push('# HELP driftgate_decisions_total Decisions of computed evaluations, by outcome.');
    out.push('# TYPE driftgate_decisions_total counter');
    for (const [k, v] of this.decisions)
      out.push(`driftgate_decisions_total{outcome="${labelValue(k)}"} ${v}`);
    out.push('# HELP driftgate_deployment_checks_total Deployment checks by answer.');
    out.push('# TYPE driftgate_deployment_checks_total counter');
    for (const [k, v] of this.checks) out.push(`driftgate_deployment_checks_total{answer="${k}"} ${v}`);
    out.push('# HELP driftgate_admission_reviews_total Kubernetes admission reviews by answer.');
    out.push('# TYPE driftgate_admission_reviews_total counter');
    for (const [k, v] of this.reviews) out.push(`driftgate_admission_reviews_total{answer="${k}"} ${v}`);
    return `${out.join('\n')}\n`;
  }
}

function labelValue(label: string): string {
  return label.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

async function metricsPlugin(app: FastifyInstance, opts: { metrics: Metrics }): Promise<void> {
  app.addHook('onResponse', async (request, reply) => {
    // The route's pattern, never the raw URL: a client cannot grow the label set.
    const route = request.routeOptions.url ?? 'unmatched';
    opts.metrics.request(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
  });
}

export const metricsHook = fp(metricsPlugin, { name: 'driftgate-metrics' });
