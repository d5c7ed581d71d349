/**
 * CONTRACT FAKE of the Jira Service Management Cloud REST API (/rest/servicedeskapi),
 * not a Jira site: it follows Atlassian's published reference for customer requests
 * (create; list with searchTerm/serviceDeskId/requestOwnership; get), request comments
 * and request transitions — basic auth with an API token (401 otherwise), paged
 * envelopes { size, start, limit, isLastPage, values }, 201 on create, 204 on
 * transition, 404 { errorMessage } for unknown requests, 400 for an unknown transition.
 */
import { HttpFake, pageOf, reply, type FakeReply, type FakeRequest } from './http-fake';

export interface FakeRequestRecord {
  issueKey: string;
  serviceDeskId: string;
  requestTypeId: string;
  summary: string;
  description?: string;
  status: { status: string; statusCategory: 'NEW' | 'INDETERMINATE' | 'DONE' };
  comments: { id: string; body: string; public: boolean }[];
}

const TRANSITIONS = [
  { id: '11', name: 'Respond to customer' },
  { id: '21', name: 'Escalate' },
  { id: '31', name: 'Resolve this issue' },
];

export class JiraServiceManagementFake {
  readonly http: HttpFake;
  readonly requests: FakeRequestRecord[] = [];
  pageSize = 2;

  constructor(
    email: string,
    apiToken: string,
    readonly serviceDeskId = '4',
    readonly requestTypeId = '25',
  ) {
    const expected = `Basic ${Buffer.from(`${email}:${apiToken}`).toString('base64')}`;
    this.http = new HttpFake({
      authorized: (h) => h.authorization === expected,
      errorBody: (_status, message) => ({
        errorMessage: message,
        i18nErrorMessage: { i18nKey: 'sd.error', parameters: [] },
      }),
    });
    const R = '/rest/servicedeskapi/request';
    this.http.on('GET', R, (req) => {
      const term = (req.url.searchParams.get('searchTerm') ?? '').toLowerCase();
      const desk = req.url.searchParams.get('serviceDeskId');
      return this.paged(
        req,
        this.requests
          .filter((r) => (!desk || r.serviceDeskId === desk) && r.summary.toLowerCase().includes(term))
          .map(view),
      );
    });
    this.http.on('POST', R, ({ body }) => {
      const b = body as {
        serviceDeskId?: string;
        requestTypeId?: string;
        requestFieldValues?: { summary?: string; description?: string };
      };
      if (
        b.serviceDeskId !== this.serviceDeskId ||
        b.requestTypeId !== this.requestTypeId ||
        !b.requestFieldValues?.summary
      )
        return this.http.fail(400, 'invalid request type or missing summary');
      const record: FakeRequestRecord = {
        issueKey: `IT-${this.requests.length + 1}`,
        serviceDeskId: b.serviceDeskId,
        requestTypeId: b.requestTypeId,
        summary: b.requestFieldValues.summary,
        description: b.requestFieldValues.description,
        status: { status: 'Waiting for support', statusCategory: 'NEW' },
        comments: [],
      };
      this.requests.push(record);
      return reply(201, view(record));
    });
    this.http.on('GET', `${R}/:key`, ({ params }) => this.withRequest(params.key!, (r) => reply(200, view(r))));
    this.http.on('GET', `${R}/:key/comment`, (req) =>
      this.withRequest(req.params.key!, (r) => this.paged(req, r.comments)),
    );
    this.http.on('POST', `${R}/:key/comment`, ({ params, body }) =>
      this.withRequest(params.key!, (r) => {
        const comment = {
          id: String(r.comments.length + 1),
          body: (body as { body: string }).body,
          public: (body as { public?: boolean }).public ?? true,
        };
        r.comments.push(comment);
        return reply(201, comment);
      }),
    );
    this.http.on('GET', `${R}/:key/transition`, (req) =>
      this.withRequest(req.params.key!, () => this.paged(req, TRANSITIONS)),
    );
    this.http.on('POST', `${R}/:key/transition`, ({ params, body }) =>
      this.withRequest(params.key!, (r) => {
        const transition = TRANSITIONS.find((t) => t.id === (body as { id?: string }).id);
        if (!transition) return this.http.fail(400, 'transition is not valid');
        const comment = (body as { additionalComment?: { body: string } }).additionalComment;
        if (comment) r.comments.push({ id: String(r.comments.length + 1), body: comment.body, public: true });
        if (transition.id === '31') r.status = { status: 'Resolved', statusCategory: 'DONE' };
        return reply(204);
      }),
    );
  }

  private withRequest(key: string, then: (r: FakeRequestRecord) => FakeReply): FakeReply {
    const record = this.requests.find((r) => r.issueKey === key);
    return record ? then(record) : this.http.fail(404, `Request ${key} does not exist`);
  }

  private paged<T>(req: FakeRequest, items: readonly T[]): FakeReply {
    const start = Number(req.url.searchParams.get('start') ?? 0);
    const limit = Math.min(Number(req.url.searchParams.get('limit') ?? 50), this.pageSize);
    const { page, next } = pageOf(items, start, limit);
    return reply(200, { size: page.length, start, limit, isLastPage: next === undefined, values: page });
  }
}

function view(r: FakeRequestRecord) {
  return {
    issueKey: r.issueKey,
    serviceDeskId: r.serviceDeskId,
    requestTypeId: r.requestTypeId,
    requestFieldValues: [
      { fieldId: 'summary', label: 'Summary', value: r.summary },
      { fieldId: 'description', label: 'Description', value: r.description },
    ],
    currentStatus: r.status,
  };
}
