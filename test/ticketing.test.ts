/**
 * The ticketing adapter's real client code against CONTRACT FAKES of the ServiceNow
 * Table API and the Jira Service Management REST API (test/fakes/servicenow.ts,
 * test/fakes/jira-service-management.ts): effects are checked on the fakes' state.
 */
import type { PlatformAdapter } from '../activities/platforms/adapter';
import { ticketingAdapterFactory } from '../activities/platforms/ticketing';
import { CAPABILITIES, type PlatformConnection } from '../shared';
import { JiraServiceManagementFake } from './fakes/jira-service-management';
import { ServiceNowFake } from './fakes/servicenow';
import { activityFailure, implementedActions, platformHarness } from './support/platform-harness';

const env = { SD_USER: 'svc-runbooks', SD_SECRET: 'p4ss-w0rd-never-logged' };
const readSecret = (ref: string) => env[ref.slice(4) as keyof typeof env];
const credentials = { username: 'env:SD_USER', password: 'env:SD_SECRET' };

const serviceNow = new ServiceNowFake(env.SD_USER, env.SD_SECRET);
const jira = new JiraServiceManagementFake(env.SD_USER, env.SD_SECRET);
let connections: Record<'servicenow' | 'jira-service-management', PlatformConnection>;

beforeAll(async () => {
  await Promise.all([serviceNow.http.start(), jira.http.start()]);
  connections = {
    servicenow: {
      platform: 'ticketing',
      baseUrl: serviceNow.http.baseUrl,
      settings: { kind: 'servicenow', assignmentGroup: 'a1b2' },
      credentials,
    },
    'jira-service-management': {
      platform: 'ticketing',
      baseUrl: jira.http.baseUrl,
      settings: { kind: 'jira-service-management', serviceDeskId: '4', requestTypeId: '25' },
      credentials,
    },
  };
});
afterAll(() => Promise.all([serviceNow.http.stop(), jira.http.stop()]));

describe.each(['servicenow', 'jira-service-management'] as const)('on %s', (kind) => {
  let adapter: PlatformAdapter;
  beforeAll(() => {
    adapter = ticketingAdapterFactory(connections[kind], readSecret);
  });

  it('implements exactly its catalogue actions', () => {
    expect(implementedActions(adapter).sort()).toEqual([...CAPABILITIES.ticketing].sort());
  });

  it('opens one ticket per run, finding it again on a later page among look-alike runs', async () => {
    const runId = `offboarding-${kind}-1`;
    for (let i = 0; i < 5; i++)
      await adapter.openTicket!({ runId: `${runId}-${i}`, title: 'Leaver', description: 'x' });
    const opened = await adapter.openTicket!({ runId, title: 'Offboard Ada', description: 'Leaver on 2026-11-30' });
    expect(opened.outcome).toBe('done');
    const again = await adapter.openTicket!({ runId, title: 'Offboard Ada', description: 'Leaver on 2026-11-30' });
    expect(again).toMatchObject({ outcome: 'already-done', data: opened.data });
    if (kind === 'servicenow') {
      expect(serviceNow.incidents).toHaveLength(6);
      expect(serviceNow.incidents.find((i) => i.correlation_id === runId)).toMatchObject({
        sys_id: opened.data!.ticketId,
        short_description: 'Offboard Ada',
        assignment_group: 'a1b2',
        state: '1',
      });
    } else {
      expect(jira.requests).toHaveLength(6);
      expect(jira.requests.find((r) => r.issueKey === opened.data!.ticketId)!.summary).toBe(
        `Offboard Ada [run ${runId}]`,
      );
    }
  });

  it('adds a comment once and closes the ticket once', async () => {
    const { data } = await adapter.openTicket!({
      runId: `offboarding-${kind}-2`,
      title: 'Offboard Bob',
      description: 'Leaver',
    });
    const ticketId = data!.ticketId;
    for (let i = 0; i < 3; i++)
      expect(await adapter.updateTicket!({ ticketId, comment: `earlier note ${i}` })).toEqual({ outcome: 'done' });
    expect(await adapter.updateTicket!({ ticketId, comment: 'GitHub: removed from acme' })).toEqual({
      outcome: 'done',
    });
    expect(await adapter.updateTicket!({ ticketId, comment: 'GitHub: removed from acme' })).toEqual({
      outcome: 'already-done',
    });
    expect(await adapter.closeTicket!({ ticketId, resolution: 'All platforms offboarded' })).toEqual({
      outcome: 'done',
    });
    expect(await adapter.closeTicket!({ ticketId, resolution: 'All platforms offboarded' })).toEqual({
      outcome: 'already-done',
    });

    if (kind === 'servicenow') {
      const incident = serviceNow.incidents.find((i) => i.sys_id === ticketId)!;
      expect(incident).toMatchObject({
        state: '6',
        close_code: 'Solution provided',
        close_notes: 'All platforms offboarded',
        correlation_id: `offboarding-${kind}-2`,
      });
      expect(
        serviceNow.journal.filter((j) => j.element_id === ticketId && j.value === 'GitHub: removed from acme'),
      ).toHaveLength(1);
    } else {
      const request = jira.requests.find((r) => r.issueKey === ticketId)!;
      expect(request.status.statusCategory).toBe('DONE');
      expect(request.comments.filter((c) => c.body === 'GitHub: removed from acme')).toEqual([
        { id: '4', body: 'GitHub: removed from acme', public: false },
      ]);
    }
  });

  it('reports an unknown ticket as non-retryable and a throttled desk as retryable after Retry-After', async () => {
    const { run } = platformHarness('ticketing', ticketingAdapterFactory, () => connections[kind], env);
    expect(await activityFailure(run('closeTicket', { ticketId: 'nope', resolution: 'x' }))).toMatchObject({
      type: 'PlatformNotFound',
      nonRetryable: true,
    });
    (kind === 'servicenow' ? serviceNow : jira).http.failNext(1, 429, { 'Retry-After': '9' });
    expect(await activityFailure(run('openTicket', { runId: 'r', title: 't', description: 'd' }))).toMatchObject({
      type: 'PlatformThrottled',
      nonRetryable: false,
      nextRetryDelay: 9000,
    });
  });
});

it('rejects wrong credentials, an unknown desk kind and a Jira desk without a closing transition, none retryable, no secret in messages', async () => {
  const wrong = ticketingAdapterFactory(connections.servicenow, (ref) =>
    ref === 'env:SD_SECRET' ? 'wrong' : readSecret(ref),
  );
  const err = (await wrong.openTicket!({ runId: 'r9', title: 't', description: 'd' }).catch(
    (e: unknown) => e,
  )) as Error;
  expect(err).toMatchObject({ kind: 'forbidden' });
  expect(err.message).not.toContain(env.SD_SECRET);
  expect(() =>
    ticketingAdapterFactory({ ...connections.servicenow, settings: { kind: 'zendesk' } }, readSecret),
  ).toThrow(/settings.kind/);
  const strict = ticketingAdapterFactory(
    {
      ...connections['jira-service-management'],
      settings: { ...connections['jira-service-management'].settings, closeTransition: 'Done' },
    },
    readSecret,
  );
  const { data } = await strict.openTicket!({ runId: 'r10', title: 't', description: 'd' });
  await expect(strict.closeTicket!({ ticketId: data!.ticketId, resolution: 'x' })).rejects.toMatchObject({
    kind: 'invalid',
    message: expect.stringContaining('Resolve this issue'),
  });
});
