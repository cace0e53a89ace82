// The policy manifest (the shape of policies/policy.json, with each text
// inline as "body") that reproduces what GET /api/v1/policies says is in
// force: the draft a manager edits and publishes. No DOM here: the API
// tests build their manifests with it too.

// The API gives instants; an effective date is a day in Japan.
export function jstDay(instant) {
  return new Date(Date.parse(instant) + 9 * 3600000).toISOString().slice(0, 10);
}

function langs(pair) {
  return Object.fromEntries(Object.entries(pair || {}).filter(([, v]) => typeof v === 'string' && v !== ''));
}

export function manifestFrom(policies) {
  return {
    documents: policies.documents.map((d) => ({
      kind: d.kind, lang: d.lang, title: d.title, effective: jstDay(d.effective), body: d.text,
      ...(d.export_period_days ? { export_period_days: d.export_period_days } : {}),
    })),
    purposes: policies.purposes.map((p) => ({
      code: p.code, required: p.required, title: langs(p.title), description: langs(p.description),
      ...(p.recipient_group ? { recipient_group: p.recipient_group } : {}),
      ...(p.kinds ? { kinds: p.kinds.split(',') } : {}),
    })),
  };
}
