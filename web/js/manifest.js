// The policy manifest (the shape of policies/policy.json, with each text
// inline as "body") that reproduces what GET /api/v1/policies says is in
// force: the draft a manager edits and publishes. No DOM here: the API
// tests build their manifests with it too.

import { dayKey } from './time.js';

function langs(pair) {
  return Object.fromEntries(Object.entries(pair || {}).filter(([, v]) => typeof v === 'string' && v !== ''));
}

export function manifestFrom(policies) {
  return {
    documents: policies.documents.map((d) => ({
      kind: d.kind, lang: d.lang, title: d.title, effective: dayKey(d.effective), body: d.text,
      ...(d.export_period_days ? { export_period_days: d.export_period_days } : {}),
    })),
    purposes: policies.purposes.map((p) => ({
      code: p.code, required: p.required, title: langs(p.title), description: langs(p.description),
      ...(p.recipient_group ? { recipient_group: p.recipient_group } : {}),
      ...(p.kinds ? { kinds: p.kinds.split(',') } : {}),
    })),
  };
}
