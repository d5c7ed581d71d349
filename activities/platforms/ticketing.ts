import type { PlatformConnection } from '../../shared';
import { type AdapterFactory, type PlatformAdapter, enc } from './adapter';
import type { SecretReader } from '../connection-secrets';
import { PlatformError } from '../errors';
import { nextLink, RestClient } from './http/rest-client';

/**
 * One ticket per run, on the tenant's service desk: ServiceNow (Table API,
 * incident table) or Jira Service Management (servicedeskapi), chosen by
 * settings.kind = `servicenow` | `jira-service-management`. Auth: credentials.username
 * + credentials.password (basic; a Jira API token goes in password) or credentials.token (bearer).
 * Every action is idempotent: open finds the run's ticket by its correlation id before
 * creating one, update skips a comment already there, close skips a resolved ticket.
 */
export const ticketingAdapterFactory: AdapterFactory = (connection, readSecret) => {
  const kind = connection.settings?.kind;
  if (!connection.baseUrl) throw new PlatformError('invalid', 'ticketing connection needs baseUrl (the instance URL)');
  const rest = new RestClient({
    platform: 'ticketing',
    baseUrl: connection.baseUrl,
    headers: () => Promise.resolve(authHeader(connection, readSecret)),
  });
  if (kind === 'servicenow') return serviceNow(rest, connection.settings ?? {});
  if (kind === 'jira-service-management') return jiraServiceManagement(rest, connection.settings ?? {});
  throw new PlatformError('invalid', 'ticketing settings.kind must be servicenow or jira-service-management');
};

function authHeader(connection: PlatformConnection, readSecret: SecretReader): Record<string, string> {
  const { username, password, token } = connection.credentials ?? {};
  if (username && password)
    return {
      Authorization: `Basic ${Buffer.from(`${readSecret(username)}:${readSecret(password)}`).toString('base64')}`,
    };
  if (token) return { Authorization: `Bearer ${readSecret(token)}` };
  throw new PlatformError(
    'invalid',
    'ticketing connection needs credentials.username and credentials.password, or credentials.token',
  );
}

const done = { outcome: 'done' as const };
const alreadyDone = { outcome: 'already-done' as const };

// ServiceNow ---------------------------------------------------------------

const INCIDENT = '/api/now/table/incident';
/** Incident states that need no closing: 6 Resolved, 7 Closed, 8 Canceled. */
const FINISHED_STATES = new Set(['6', '7', '8']);

interface Incident {
  sys_id: string;
  number: string;
  state?: string;
}

/**
 * ServiceNow incidents. The run id is the incident's correlation_id; work notes carry updates;
 * closing resolves (state 6) with settings.closeCode (default "Solution provided") and the resolution as close notes.
 * settings.assignmentGroup (sys_id) routes new incidents.
 */
function serviceNow(rest: RestClient, settings: Record<string, string>): PlatformAdapter {
  const table = <T>(path: string, query: Record<string, string | number>) => rest.get<{ result: T }>(path, { query });
  return {
    platform: 'ticketing',
    async openTicket({ runId, title, description }) {
      assertQuerySafe(runId);
      const existing = await table<Incident[]>(INCIDENT, {
        sysparm_query: `correlation_id=${runId}`,
        sysparm_fields: 'sys_id,number',
        sysparm_limit: 1,
      });
      const found = existing.body.result[0];
      if (found) return { ...alreadyDone, detail: found.number, data: { ticketId: found.sys_id } };
      const incident = {
        short_description: title,
        description,
        correlation_id: runId,
        correlation_display: 'identity-runbooks',
        ...(settings.assignmentGroup ? { assignment_group: settings.assignmentGroup } : {}),
      };
      const created = await rest.post<{ result: Incident }>(INCIDENT, incident);
      return { ...done, detail: created.body.result.number, data: { ticketId: created.body.result.sys_id } };
    },
    async updateTicket({ ticketId, comment }) {
      assertQuerySafe(ticketId);
      const query = {
        sysparm_query: `element_id=${ticketId}^element=work_notes`,
        sysparm_fields: 'value',
        sysparm_limit: 100,
      };
      for await (const page of rest.pages<{ result: { value: string }[] }>(
        '/api/now/table/sys_journal_field',
        (p) => nextLink(p.headers),
        { query },
      )) {
        if (page.result.some((note) => note.value === comment)) return alreadyDone;
      }
      await rest.patch(`${INCIDENT}/${enc(ticketId)}`, { work_notes: comment });
      return done;
    },
    async closeTicket({ ticketId, resolution }) {
      const incident = await table<Incident>(`${INCIDENT}/${enc(ticketId)}`, { sysparm_fields: 'sys_id,number,state' });
      if (FINISHED_STATES.has(String(incident.body.result.state))) return alreadyDone;
      await rest.patch(`${INCIDENT}/${enc(ticketId)}`, {
        state: '6',
        close_code: settings.closeCode ?? 'Solution provided',
        close_notes: resolution,
      });
      return done;
    },
  };
}

/** ServiceNow's encoded queries use ^ and = as operators; an id containing them would change the query. */
function assertQuerySafe(value: string): void {
  if (/[\^=]/.test(value)) throw new PlatformError('invalid', 'ticketing ids must not contain ^ or =');
}

// Jira Service Management -------------------------------------------------

const REQUEST = '/rest/servicedeskapi/request';

interface JsmPage<T> {
  values: T[];
  isLastPage: boolean;
  start: number;
  size: number;
}
interface CustomerRequest {
  issueKey: string;
  requestFieldValues?: { fieldId: string; value: unknown }[];
  currentStatus?: { status: string; statusCategory: string };
}

/**
 * Jira Service Management customer requests in settings.serviceDeskId of settings.requestTypeId.
 * The run id is a `[run <id>]` marker in the summary (the servicedeskapi searches summaries);
 * updates are internal comments; closing takes the transition named settings.closeTransition
 * (default: the first named like resolve/close/done).
 */
function jiraServiceManagement(rest: RestClient, settings: Record<string, string>): PlatformAdapter {
  const { serviceDeskId, requestTypeId } = settings;
  async function* pages<T>(path: string, query: Record<string, string> = {}): AsyncGenerator<T> {
    for (let start = 0; ;) {
      const page = (await rest.get<JsmPage<T>>(path, { query: { ...query, start, limit: 50 } })).body;
      yield* page.values;
      if (page.isLastPage || page.values.length === 0) return;
      start = page.start + page.size;
    }
  }
  return {
    platform: 'ticketing',
    async openTicket({ runId, title, description }) {
      if (!serviceDeskId || !requestTypeId)
        throw new PlatformError(
          'invalid',
          'jira-service-management needs settings.serviceDeskId and settings.requestTypeId',
        );
      const marker = `[run ${runId}]`;
      for await (const request of pages<CustomerRequest>(REQUEST, {
        searchTerm: runId,
        requestOwnership: 'ALL_REQUESTS',
        serviceDeskId,
      })) {
        const summary = request.requestFieldValues?.find((f) => f.fieldId === 'summary')?.value;
        if (typeof summary === 'string' && summary.endsWith(marker))
          return { ...alreadyDone, data: { ticketId: request.issueKey } };
      }
      const created = await rest.post<CustomerRequest>(REQUEST, {
        serviceDeskId,
        requestTypeId,
        requestFieldValues: { summary: `${title} ${marker}`, description },
      });
      return { ...done, data: { ticketId: created.body.issueKey } };
    },
    async updateTicket({ ticketId, comment }) {
      for await (const existing of pages<{ body: string }>(`${REQUEST}/${enc(ticketId)}/comment`)) {
        if (existing.body === comment) return alreadyDone;
      }
      await rest.post(`${REQUEST}/${enc(ticketId)}/comment`, { body: comment, public: false });
      return done;
    },
    async closeTicket({ ticketId, resolution }) {
      const request = await rest.get<CustomerRequest>(`${REQUEST}/${enc(ticketId)}`);
      if (request.body.currentStatus?.statusCategory === 'DONE') return alreadyDone;
      const transitions: { id: string; name: string }[] = [];
      for await (const t of pages<{ id: string; name: string }>(`${REQUEST}/${enc(ticketId)}/transition`))
        transitions.push(t);
      const wanted = settings.closeTransition;
      const transition = transitions.find((t) => (wanted ? t.name === wanted : /resolve|close|done/i.test(t.name)));
      if (!transition)
        throw new PlatformError(
          'invalid',
          `no closing transition on ${ticketId} (available: ${transitions.map((t) => t.name).join(', ') || 'none'})`,
        );
      await rest.post(`${REQUEST}/${enc(ticketId)}/transition`, {
        id: transition.id,
        additionalComment: { body: resolution },
      });
      return done;
    },
  };
}
