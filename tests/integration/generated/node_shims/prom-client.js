'use strict';
// SHIM of prom-client (see README.md): Registry, Counter, Histogram, collectDefaultMetrics.
process.stderr.write('SHIM: prom-client is a test stand-in, not the real package\n');

const key = (labels) => JSON.stringify(Object.entries(labels).sort());
const fmt = (labels) => {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${String(v).replace(/["\\\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
};

class Registry {
  constructor() { this.metrics_ = []; this.contentType = 'text/plain; version=0.0.4; charset=utf-8'; }
  registerMetric(m) { this.metrics_.push(m); }
  async metrics() { return this.metrics_.map((m) => m.render()).join('\n') + '\n'; }
}

class Metric {
  constructor({ name, help, labelNames = [], registers }) {
    Object.assign(this, { name, help, labelNames, values: new Map() });
    for (const r of registers || []) r.registerMetric(this);
  }
  head(type) { return `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} ${type}`; }
}

class Counter extends Metric {
  inc(labels = {}, by = 1) {
    const k = key(labels);
    const v = this.values.get(k) || { labels, value: 0 };
    v.value += by;
    this.values.set(k, v);
  }
  render() {
    return [this.head('counter'), ...[...this.values.values()].map((v) => `${this.name}${fmt(v.labels)} ${v.value}`)].join('\n');
  }
}

class Histogram extends Metric {
  constructor(opts) { super(opts); this.buckets = opts.buckets || [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]; }
  observe(labels, value) {
    const k = key(labels);
    const v = this.values.get(k) || { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
    this.buckets.forEach((b, i) => { if (value <= b) v.counts[i] += 1; });
    v.sum += value;
    v.count += 1;
    this.values.set(k, v);
  }
  render() {
    const lines = [this.head('histogram')];
    for (const v of this.values.values()) {
      this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket${fmt({ le: b, ...v.labels })} ${v.counts[i]}`));
      lines.push(`${this.name}_bucket${fmt({ le: '+Inf', ...v.labels })} ${v.count}`);
      lines.push(`${this.name}_sum${fmt(v.labels)} ${v.sum}`, `${this.name}_count${fmt(v.labels)} ${v.count}`);
    }
    return lines.join('\n');
  }
}

function collectDefaultMetrics() {}

module.exports = { Registry, Counter, Histogram, collectDefaultMetrics, register: new Registry() };
