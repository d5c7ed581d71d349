/**
 * CONTRACT FAKE of the ServiceNow Table API (/api/now/table/{table}), not an instance:
 * it follows ServiceNow's published REST API reference for the incident and
 * sys_journal_field tables — basic auth (401 otherwise), { result } envelopes,
 * encoded queries (`field=value^field=value`), sysparm_limit/sysparm_offset paging
 * with Link rel="next", 201 on insert, 404 { error: { message: "No Record found" } },
 * work_notes written as journal entries, and the data policy that resolving (state 6)
 * needs close_code and close_notes (403).
 */
import { randomBytes } from 'node:crypto';
import { HttpFake, pageOf, reply, type FakeRequest } from './http-fake';

export interface FakeIncident {
  sys_id: string;
  number: string;
  short_description: string;
  description?: string;
  correlation_id?: string;
  state: string;
  close_code?: string;
  close_notes?: string;
}

export class ServiceNowFake {
  readonly http: HttpFake;
  readonly incidents: FakeIncident[] = [];
  readonly journal: { element_id: string; element: string; value: string }[] = [];
  pageSize = 2;

  constructor(user: string, password: string) {
    const expected = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    this.http = new HttpFake({
      authorized: (h) => h.authorization === expected,
      errorBody: (status, message) => ({
        error: {
          message,
          detail: status === 404 ? "Record doesn't exist or ACL restricts the record retrieval" : null,
        },
        status: 'failure',
      }),
    });
    this.http.on('GET', '/api/now/table/incident', (req) => this.list(req, this.incidents));
    this.http.on('GET', '/api/now/table/sys_journal_field', (req) => this.list(req, this.journal));
    this.http.on('POST', '/api/now/table/incident', ({ body }) => {
      const b = body as Partial<FakeIncident>;
      if (!b.short_description) return this.http.fail(400, 'short_description is mandatory');
      const incident = {
        ...b,
        sys_id: randomBytes(16).toString('hex'),
        number: `INC${String(10001 + this.incidents.length).padStart(7, '0')}`,
        state: '1',
      } as FakeIncident;
      this.incidents.push(incident);
      return reply(201, { result: incident });
    });
    this.http.on('GET', '/api/now/table/incident/:id', ({ params }) => {
      const incident = this.incidents.find((i) => i.sys_id === params.id);
      return incident ? reply(200, { result: incident }) : this.http.fail(404, 'No Record found');
    });
    this.http.on('PATCH', '/api/now/table/incident/:id', ({ params, body }) => {
      const incident = this.incidents.find((i) => i.sys_id === params.id);
      if (!incident) return this.http.fail(404, 'No Record found');
      const { work_notes, ...fields } = body as Partial<FakeIncident> & { work_notes?: string };
      if (fields.state === '6' && (!fields.close_code || !fields.close_notes))
        return this.http.fail(
          403,
          'Operation Failed: Data Policy Exception: Resolution code, Resolution notes are mandatory',
        );
      if (work_notes) this.journal.push({ element_id: incident.sys_id, element: 'work_notes', value: work_notes });
      Object.assign(incident, fields);
      return reply(200, { result: incident });
    });
  }

  /** Records matching an encoded query of `field=value` conditions joined by ^, one page at a time. */
  private list(req: FakeRequest, records: readonly object[]) {
    const conditions = (req.url.searchParams.get('sysparm_query') ?? '')
      .split('^')
      .filter(Boolean)
      .map((c) => c.split('=') as [string, string]);
    const matching = records.filter((r) =>
      conditions.every(([field, value]) => String((r as Record<string, unknown>)[field]) === value),
    );
    const limit = Math.min(Number(req.url.searchParams.get('sysparm_limit') ?? 10000), this.pageSize);
    const { page, next } = pageOf(matching, Number(req.url.searchParams.get('sysparm_offset') ?? 0), limit);
    if (next === undefined) return reply(200, { result: page });
    const url = new URL(req.url);
    url.searchParams.set('sysparm_offset', String(next));
    url.searchParams.set('sysparm_limit', String(limit));
    return reply(200, { result: page }, { Link: `<${url.toString()}>;rel="next"` });
  }
}
