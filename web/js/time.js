// Every date and time the portal shows, written here once: instants in the
// person's zone (the service's, Asia/Tokyo), in 年月日 forms in Japanese;
// a FHIR date without a time (a checkup day, a dispensing day) is that
// calendar day wherever one is. Never an ISO string cut short: its UTC day
// is a day early for the first nine hours of every Japanese day. No DOM or
// storage here beyond the page's language, so the API tests use it too.

export const ZONE = 'Asia/Tokyo';

const DATE_ONLY = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/;

function locale() {
  return globalThis.document?.documentElement?.lang === 'en' ? 'en-GB' : 'ja-JP';
}

// Making a formatter costs far more than using one (0.4 ms against a few
// microseconds): each is made once per locale and options, and kept.
const formatters = new Map();
function formatter(loc, options) {
  const key = `${loc} ${JSON.stringify(options)}`;
  let f = formatters.get(key);
  if (!f) formatters.set(key, (f = new Intl.DateTimeFormat(loc, options)));
  return f;
}

function format(value, options) {
  const d = DATE_ONLY.exec(value || '');
  if (d) {
    // A calendar day (or month, or year): shown as it is, in no zone.
    const [, y, m, day] = d;
    const parts = { year: 'numeric', ...(m ? { month: 'long' } : {}), ...(day ? { day: 'numeric' } : {}) };
    return formatter(locale(), { ...parts, timeZone: 'UTC' })
      .format(new Date(Date.UTC(Number(y), m ? Number(m) - 1 : 0, day ? Number(day) : 1)));
  }
  const t = typeof value === 'number' ? value : Date.parse(value);
  if (Number.isNaN(t)) return value || '';
  return formatter(locale(), { ...options, timeZone: ZONE }).format(new Date(t));
}

// "2026年12月5日 05:22" / "5 December 2026 at 05:22".
export function dateTime(value) {
  return format(value, { year: 'numeric', month: 'long', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

// "2026年12月5日" / "5 December 2026".
export function day(value) {
  return format(value, { year: 'numeric', month: 'long', day: 'numeric' });
}

// The numbers of a moment in the zone: year, month, day, hour, minute.
function partsOf(t) {
  const parts = formatter('en-CA', {
    timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(new Date(t));
  return Object.fromEntries(parts.filter((p) => p.type !== 'literal').map((p) => [p.type, p.value]));
}

// "2026-12-05": the day in the zone (a date-only value as it is), for
// grouping, ordering and the API's date parameters.
export function dayKey(value) {
  const d = DATE_ONLY.exec(value || '');
  if (d && d[3]) return value;
  const t = typeof value === 'number' ? value : Date.parse(value);
  if (Number.isNaN(t)) return '';
  const p = partsOf(t);
  return `${p.year}-${p.month}-${p.day}`;
}

// The hour (0-23) in the zone: morning or evening.
export function hourOf(value) {
  const t = typeof value === 'number' ? value : Date.parse(value);
  return Number(partsOf(t).hour);
}

// The year in the zone, for grouping by year.
export function yearOf(value) {
  return dayKey(value).slice(0, 4) || (DATE_ONLY.exec(value || '')?.[1] ?? '');
}

// An <input type="datetime-local"> value for an instant, in the zone.
export function inputValue(value) {
  const t = typeof value === 'number' ? value : Date.parse(value);
  const p = partsOf(t);
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

// The zone's offset at an instant, "+09:00".
function offsetAt(t) {
  const name = formatter('en-US', { timeZone: ZONE, timeZoneName: 'longOffset' })
    .formatToParts(new Date(t)).find((p) => p.type === 'timeZoneName')?.value || 'GMT';
  const m = /GMT([+-]\d{2}):?(\d{2})?/.exec(name);
  return m ? `${m[1]}:${m[2] || '00'}` : '+00:00';
}

// A datetime-local value ("2026-12-05T07:30"), read in the zone, as a FHIR
// dateTime with its offset ("2026-12-05T07:30:00+09:00"); null if it is none.
export function fromInput(value) {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value || '')) return null;
  const guess = Date.parse(`${value}:00Z`);
  const offset = offsetAt(guess);
  const iso = `${value}:00${offset}`;
  return Number.isNaN(Date.parse(iso)) ? null : iso;
}

// An instant as a FHIR dateTime in the zone, to the second, with its offset
// (what the person's clock said): "2026-12-05T07:30:12+09:00".
export function inZone(t = Date.now()) {
  const offset = offsetAt(t);
  const [hh, mm] = offset.slice(1).split(':').map(Number);
  const shift = (offset[0] === '-' ? -1 : 1) * (hh * 60 + mm) * 60000;
  const local = new Date(Math.floor(t / 1000) * 1000 + shift).toISOString().replace(/\.000Z$/, '');
  return `${local}${offset}`;
}
