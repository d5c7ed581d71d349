import { useCallback, useEffect, useState } from 'react';
import { api, problemText, type paths } from '../api';

type Pending =
  paths['/v1/tenants/{tenantId}/approvals']['get']['responses'][200]['content']['application/json']['items'][number];

const FOUR_EYES =
  'Four-eyes rule: nobody approves their own request or access for themselves, and only the tenant’s listed approvers (or the subject’s manager, where the runbook says so) decide.';

/** Pending approval requests (onboarding privileged entitlements, privileged access): approve or deny with a comment. */
export function Approvals({ tenantId, me }: { tenantId: string; me: string }) {
  const [items, setItems] = useState<Pending[]>();
  const [error, setError] = useState<string>();
  // Kept here, not in the card: a decided request leaves the list, its confirmation stays.
  const [decided, setDecided] = useState<string>();
  const load = useCallback(async () => {
    const { data, error } = await api.GET('/v1/tenants/{tenantId}/approvals', { params: { path: { tenantId } } });
    if (error) setError(problemText(error));
    else setItems(data.items);
  }, [tenantId]);
  useEffect(() => void load(), [load]);

  return (
    <section aria-labelledby="approvals-title">
      <h1 id="approvals-title">Approvals</h1>
      <p className="help">{FOUR_EYES}</p>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {decided && (
        <p role="status" className="ok">
          {decided}
        </p>
      )}
      {!items ? (
        <p role="status">Loading…</p>
      ) : items.length === 0 ? (
        <p>No request waits for approval.</p>
      ) : (
        items.map((item) => (
          <ApprovalCard
            key={`${item.runId}/${item.stepId ?? ''}`}
            tenantId={tenantId}
            item={item}
            me={me}
            onDecided={async (text) => {
              setDecided(text);
              await load();
            }}
          />
        ))
      )}
    </section>
  );
}

function ApprovalCard({
  tenantId,
  item,
  me,
  onDecided,
}: {
  tenantId: string;
  item: Pending;
  me: string;
  onDecided: (text: string) => Promise<void>;
}) {
  const [comment, setComment] = useState('');
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string }>();
  const id = `approval-${item.runId.slice(0, 24)}-${item.stepId ?? 'run'}`;
  const decide = async (decision: 'approve' | 'deny') => {
    const { error } = await api.POST('/v1/tenants/{tenantId}/runs/{runId}/approvals', {
      params: { path: { tenantId, runId: item.runId } },
      body: {
        decision,
        ...(comment.trim() ? { comment: comment.trim() } : {}),
        ...(item.stepId ? { stepId: item.stepId } : {}),
      },
    });
    if (error) {
      setOutcome({ ok: false, text: `Refused: ${problemText(error)}. ${FOUR_EYES}` });
      return;
    }
    const what = `${item.kind === 'privileged-access' ? 'privileged access' : 'onboarding entitlement'} for ${item.subjectId}`;
    await onDecided(decision === 'approve' ? `Approved ${what}: the run goes ahead` : `Denied ${what}`);
  };
  return (
    <article className="card" aria-labelledby={id}>
      <h2 id={id}>
        {item.kind === 'privileged-access' ? 'Privileged access' : 'Onboarding entitlement'} for {item.subjectId}
      </h2>
      <dl>
        <dt>Requested by</dt>
        <dd>
          {item.requestedBy.id}
          {item.requestedBy.id === me && ' (you: someone else must decide)'}
        </dd>
        <dt>Platform</dt>
        <dd>{item.platform}</dd>
        <dt>Entitlement</dt>
        <dd>{item.entitlementId ?? item.action}</dd>
        {item.justification && (
          <>
            <dt>Justification</dt>
            <dd>{item.justification}</dd>
          </>
        )}
        {item.durationMinutes !== undefined && (
          <>
            <dt>Duration</dt>
            <dd>{item.durationMinutes} minutes</dd>
          </>
        )}
        <dt>Requested</dt>
        <dd>
          <time dateTime={item.startedAt}>{new Date(item.startedAt).toLocaleString()}</time>
        </dd>
      </dl>
      {outcome && (
        <p role={outcome.ok ? 'status' : 'alert'} className={outcome.ok ? 'ok' : 'error'}>
          {outcome.text}
        </p>
      )}
      <label htmlFor={`${id}-comment`}>Comment</label>
      <textarea id={`${id}-comment`} rows={2} value={comment} onChange={(e) => setComment(e.target.value)} />
      <div className="actions">
        <button type="button" className="primary" onClick={() => void decide('approve')}>
          Approve
        </button>
        <button type="button" className="danger" onClick={() => void decide('deny')}>
          Deny
        </button>
      </div>
    </article>
  );
}
