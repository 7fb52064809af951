/**
 * Incidents [000-13] [003-8]: opened from an alert or by hand, graded minor / general / major
 * with a deadline each (1 h / 2 h / 4 h unless configured) and the time left; every action on
 * the timeline; closed only with its cause and fix; a post-incident report; and, when it opens,
 * the fault knowledge base's best matches for its symptom, with their score. A closed incident
 * can be written to the knowledge base so the next one like it finds it.
 */
import { WaygateError } from '../domain/index.js';
import type { Store } from '../store/db.js';
import type { Executor } from '../store/transaction.js';
import { newId } from '../store/ids.js';
import {
  allKnowledge,
  getIncident,
  incidentEvents,
  insertIncident,
  insertIncidentEvent,
  insertKnowledge,
  listIncidents,
  updateIncident,
  type OpIncidentEventsTable,
  type OpIncidentsTable,
  type OpKnowledgeTable,
} from '../store/operations.js';
import { searchKnowledge, type Suggestion } from './knowledge.js';
import type { Severity } from './ops-config.js';

export interface IncidentView {
  id: string;
  title: string;
  symptom: string;
  severity: Severity;
  status: 'open' | 'closed';
  source: 'alert' | 'manual';
  alertId: string | null;
  partner: string | null;
  interface: string | null;
  openedBy: string;
  openedAt: string;
  deadlineAt: string;
  /** Milliseconds until the deadline (negative when overdue); for a closed one, at its closing. */
  timeLeftMs: number;
  overdue: boolean;
  closedAt: string | null;
  closedBy: string | null;
  cause: string | null;
  fix: string | null;
  prevention: string | null;
  suggestions: Suggestion[];
}

export interface TimelineEntry {
  at: string;
  actor: string;
  kind: string;
  text: string;
}

export interface OpenIncident {
  title: string;
  symptom: string;
  severity: Severity;
  source?: 'alert' | 'manual';
  alertId?: string;
  partner?: string;
  iface?: string;
  actor: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function incidentView(row: OpIncidentsTable, nowMs = Date.now()): IncidentView {
  const until = row.closed_at ?? nowMs;
  const timeLeftMs = row.deadline_at - until;
  return {
    id: row.id,
    title: row.title,
    symptom: row.symptom,
    severity: row.severity as Severity,
    status: row.status as IncidentView['status'],
    source: row.source as IncidentView['source'],
    alertId: row.alert_id,
    partner: row.partner,
    interface: row.interface,
    openedBy: row.opened_by,
    openedAt: iso(row.opened_at),
    deadlineAt: iso(row.deadline_at),
    timeLeftMs,
    overdue: timeLeftMs < 0,
    closedAt: row.closed_at === null ? null : iso(row.closed_at),
    closedBy: row.closed_by,
    cause: row.cause,
    fix: row.fix,
    prevention: row.prevention,
    suggestions: JSON.parse(row.suggestions) as Suggestion[],
  };
}

/** An incident and its first timeline entries, not yet written. */
export interface PreparedIncident {
  row: OpIncidentsTable;
  events: OpIncidentEventsTable[];
}

export async function writeIncident(trx: Executor, p: PreparedIncident): Promise<void> {
  await insertIncident(trx, p.row);
  for (const e of p.events) await insertIncidentEvent(trx, e);
}

const timeline = (e: OpIncidentEventsTable): TimelineEntry => ({
  at: iso(e.at),
  actor: e.actor,
  kind: e.kind,
  text: e.text,
});

export class Incidents {
  readonly #store: Store;
  readonly #deadlines: () => Record<Severity, number>;

  constructor(store: Store, deadlines: () => Record<Severity, number>) {
    this.#store = store;
    this.#deadlines = deadlines;
  }

  async open(input: OpenIncident, nowMs = Date.now()): Promise<IncidentView> {
    const prepared = await this.prepare(input, nowMs);
    await this.#store.write((trx) => writeIncident(trx, prepared));
    return incidentView(prepared.row, nowMs);
  }

  /**
   * An incident ready to be written (knowledge-base matches found), so a caller can write it in
   * its own transaction with `writeIncident` — the alert engine does, with the alert it belongs to.
   */
  async prepare(input: OpenIncident, nowMs = Date.now()): Promise<PreparedIncident> {
    const kb = await allKnowledge(this.#store.db);
    const query = [input.title, input.symptom, input.partner, input.iface].filter(Boolean).join(' ');
    const suggestions = searchKnowledge(kb, query);
    const row: OpIncidentsTable = {
      id: newId('inc', nowMs),
      title: input.title,
      symptom: input.symptom,
      severity: input.severity,
      status: 'open',
      source: input.source ?? 'manual',
      alert_id: input.alertId ?? null,
      partner: input.partner ?? null,
      interface: input.iface ?? null,
      opened_by: input.actor,
      opened_at: nowMs,
      deadline_at: nowMs + this.#deadlines()[input.severity],
      closed_at: null,
      closed_by: null,
      cause: null,
      fix: null,
      prevention: null,
      suggestions: JSON.stringify(suggestions),
    };
    const events: OpIncidentEventsTable[] = [
      {
        id: newId('ine', nowMs),
        incident_id: row.id,
        at: nowMs,
        actor: input.actor,
        kind: 'opened',
        text: `${input.severity} incident opened (${row.source}); deadline ${iso(row.deadline_at)}`,
      },
    ];
    if (suggestions.length > 0)
      events.push({
        id: newId('ine', nowMs),
        incident_id: row.id,
        at: nowMs,
        actor: 'system:knowledge-base',
        kind: 'suggested',
        text: suggestions.map((s) => `${s.id} (${s.score}): ${s.symptom}`).join('; '),
      });
    return { row, events };
  }

  async #require(id: string): Promise<OpIncidentsTable> {
    const row = await getIncident(this.#store.db, id);
    if (!row) throw new WaygateError('incident_not_found', `no incident ${id}`);
    return row;
  }

  async get(id: string, nowMs = Date.now()): Promise<{ incident: IncidentView; timeline: TimelineEntry[] }> {
    const row = await this.#require(id);
    const events = await incidentEvents(this.#store.db, id);
    return { incident: incidentView(row, nowMs), timeline: events.map(timeline) };
  }

  async list(q: { status?: 'open' | 'closed'; limit?: number }, nowMs = Date.now()): Promise<IncidentView[]> {
    const rows = await listIncidents(this.#store.db, {
      ...(q.status ? { status: q.status } : {}),
      limit: q.limit ?? 100,
    });
    return rows.map((r) => incidentView(r, nowMs));
  }

  /** Adds an action or note to the timeline (also of a closed incident: reviews go on). */
  async note(
    id: string,
    actor: string,
    text: string,
    kind = 'note',
    nowMs = Date.now(),
  ): Promise<TimelineEntry> {
    await this.#require(id);
    const e: OpIncidentEventsTable = {
      id: newId('ine', nowMs),
      incident_id: id,
      at: nowMs,
      actor,
      kind,
      text,
    };
    await this.#store.write((trx) => insertIncidentEvent(trx, e));
    return timeline(e);
  }

  async close(
    id: string,
    actor: string,
    c: { cause: string; fix: string; prevention?: string; toKnowledge?: boolean },
    nowMs = Date.now(),
  ): Promise<IncidentView> {
    const missing = (['cause', 'fix'] as const).filter((f) => !c[f] || c[f].trim() === '');
    if (missing.length > 0)
      throw new WaygateError(
        'incident_close_incomplete',
        `closing an incident needs ${missing.join(' and ')}`,
        {
          missing,
        },
      );
    const row = await this.#require(id);
    if (row.status === 'closed')
      throw new WaygateError('incident_closed', `incident ${id} is already closed`);
    const changes = {
      status: 'closed',
      closed_at: nowMs,
      closed_by: actor,
      cause: c.cause.trim(),
      fix: c.fix.trim(),
      prevention: c.prevention?.trim() || null,
    };
    await this.#store.write(async (trx) => {
      if (!(await updateIncident(trx, id, changes, 'open')))
        throw new WaygateError('incident_closed', `incident ${id} is already closed`);
      const late = nowMs > row.deadline_at;
      await insertIncidentEvent(trx, {
        id: newId('ine', nowMs),
        incident_id: id,
        at: nowMs,
        actor,
        kind: 'closed',
        text: `closed ${late ? 'after' : 'within'} its deadline — cause: ${changes.cause}; fix: ${changes.fix}`,
      });
      if (c.toKnowledge !== false) {
        const kb: OpKnowledgeTable = {
          id: newId('kb', nowMs),
          symptom: `${row.title}. ${row.symptom}`,
          cause: changes.cause,
          fix: changes.fix,
          prevention: changes.prevention ?? '',
          tags: [row.partner, row.interface, row.severity].filter(Boolean).join(' '),
          incident_id: id,
          created_by: actor,
          created_at: nowMs,
          updated_at: nowMs,
        };
        await insertKnowledge(trx, kb);
      }
    });
    return incidentView({ ...row, ...changes }, nowMs);
  }

  /** The post-incident report, Markdown: what happened, when, what was done, why, how to prevent it. */
  async report(id: string, nowMs = Date.now()): Promise<string> {
    const { incident: i, timeline: t } = await this.get(id, nowMs);
    const took = (i.closedAt ? Date.parse(i.closedAt) : nowMs) - Date.parse(i.openedAt);
    const lines = [
      `# Post-incident report: ${i.title}`,
      '',
      `- Incident: ${i.id} (${i.severity}, ${i.status})`,
      `- Opened: ${i.openedAt} by ${i.openedBy} (${i.source}${i.alertId ? `, alert ${i.alertId}` : ''})`,
      `- Partner / interface: ${i.partner ?? '—'} / ${i.interface ?? '—'}`,
      `- Deadline: ${i.deadlineAt} — ${i.status === 'closed' ? (i.overdue ? 'missed' : 'met') : i.overdue ? 'overdue' : 'open'}`,
      `- Time to close: ${i.closedAt ? `${Math.round(took / 60_000)} min` : 'not closed'}`,
      '',
      '## Symptom',
      '',
      i.symptom,
      '',
      '## Cause',
      '',
      i.cause ?? '(not yet known)',
      '',
      '## Fix',
      '',
      i.fix ?? '(not yet fixed)',
      '',
      '## Prevention',
      '',
      i.prevention ?? '(none recorded)',
      '',
      '## Timeline',
      '',
      ...t.map((e) => `- ${e.at} ${e.actor} [${e.kind}] ${e.text}`),
      '',
      '## Knowledge-base matches when it opened',
      '',
      ...(i.suggestions.length === 0
        ? ['(none)']
        : i.suggestions.map((s) => `- ${s.id} (score ${s.score}): ${s.symptom} — fix: ${s.fix}`)),
      '',
    ];
    return lines.join('\n');
  }

  async addKnowledge(
    actor: string,
    e: { symptom: string; cause: string; fix: string; prevention?: string; tags?: string[] },
    nowMs = Date.now(),
  ): Promise<OpKnowledgeTable> {
    const row: OpKnowledgeTable = {
      id: newId('kb', nowMs),
      symptom: e.symptom,
      cause: e.cause,
      fix: e.fix,
      prevention: e.prevention ?? '',
      tags: (e.tags ?? []).join(' '),
      incident_id: null,
      created_by: actor,
      created_at: nowMs,
      updated_at: nowMs,
    };
    await this.#store.write((trx) => insertKnowledge(trx, row));
    return row;
  }

  async searchKnowledge(query: string, limit = 10): Promise<Suggestion[]> {
    return searchKnowledge(await allKnowledge(this.#store.db), query, { limit });
  }
}
