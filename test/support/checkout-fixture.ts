/**
 * The "checkout" service the rebuild tests (the `pr` command, `POST /v1/rebuilds`) and the service tests
 * share: its repository, a policy that bakes curl and the vendored tools, a finding path written to
 * break a shell, a Dockerfile, a branch name and Markdown, and SCC findings about the repository.
 */

export const CHECKOUT_REPOSITORY = 'europe-docker.pkg.dev/shop-prod/apps/checkout';

export const HOSTILE_PATH =
  '/opt/tools/`$(touch /tmp/driftgate-pwned)` @octocat [x](javascript:alert(1)) | <b>';

export const CHECKOUT_POLICY = `apiVersion: driftgate.dev/v1
kind: DriftPolicy
metadata: { name: checkout, owner: team-checkout }
spec:
  match: { images: ["${CHECKOUT_REPOSITORY}"] }
  rules:
    - id: curl-healthcheck
      action: bake
      paths: ["/usr/bin/curl"]
      package: { manager: apt, name: curl }
      ticket: CHK-1203
      reason: the readiness probe shells out to curl
    - id: vendored-tools
      action: bake
      paths: ["/opt/tools/**"]
      package: { manager: apt, name: jq }
      reason: tools the jobs need
`;

/** An SCC "Added Binary Executed" finding (the finding and its resource) in a container of `tag`. */
export function checkoutSccFinding(i: number, path: string, eventTime: string, tag: string): object {
  return {
    finding: {
      name: `organizations/1/sources/2/findings/f${i}`,
      category: 'Added Binary Executed',
      eventTime,
      processes: [{ binary: { path, sha256: 'ab'.repeat(32), size: '10' }, args: [path, '$(id)'] }],
      containers: [{ name: 'checkout', uri: `${CHECKOUT_REPOSITORY}:${tag}` }],
      kubernetes: { pods: [{ ns: 'checkout', name: 'checkout-1' }] },
    },
    resource: { name: '//container.googleapis.com/projects/p/locations/l/clusters/shop-prod' },
  };
}
