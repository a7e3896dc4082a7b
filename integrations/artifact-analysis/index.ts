/** Artifact Analysis (Grafeas v1 via `@google-cloud/containeranalysis`): an image's packages, and a cross-check of a manifest against them. */
export { type CrossCheckDisagreement, type CrossCheckResult, crossCheckManifest } from './cross-check.js';
export { type GrafeasClient, type ListImagePackagesOptions, listImagePackages } from './list-packages.js';
export type { AnalysisPackage } from './occurrence.js';
export { projectParent, resourceUrlFor } from './resource.js';
