export { createFakeClock, type FakeClock } from './clock';
export { type ConformanceOptions, describeBackendConformance } from './conformance';
export { type CallCounts, countingBackend } from './counting-backend';
