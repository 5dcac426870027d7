'use strict';
// SHIM of @opentelemetry/resources (see README.md).
process.stderr.write('SHIM: @opentelemetry/resources is a test stand-in, not the real package\n');

class Resource {
  constructor(attributes) { this.attributes = attributes; }
  merge(other) { return new Resource({ ...this.attributes, ...(other ? other.attributes : {}) }); }
}
const resourceFromAttributes = (a) => new Resource({ ...a });
const defaultResource = () => new Resource({ 'telemetry.sdk.language': 'nodejs' });
const envDetector = { detect: () => new Resource({}) };
const detectResources = ({ detectors = [] } = {}) => detectors.reduce((r, d) => r.merge(d.detect()), new Resource({}));
module.exports = { resourceFromAttributes, defaultResource, envDetector, detectResources };
