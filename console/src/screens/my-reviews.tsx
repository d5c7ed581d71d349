import { useCallback, useEffect, useMemo, useState } from 'react';
import { api, problemText, type paths } from '../api';

type Share =
  paths['/v1/tenants/{tenantId}/review-assignments']['get']['responses'][200]['content']['application/json']['items'][number];
type Item =
  paths['/v1/tenants/{tenantId}/reviews/{reviewId}/items']['get']['responses'][200]['content']['application/json']['items'][number];

/** The items assigned to me in open campaigns, grouped by person and platform; decide one or many. */
export function MyReviews({ tenantId }: { tenantId: string }) {
  const [shares, setShares] = useState<Share[]>();
  const [error, setError] = useState<string>();
  const load = useCallback(async () => {
    const { data, error } = await api.GET('/v1/tenants/{tenantId}/review-assignments', {
      params: { path: { tenantId } },
    });
    if (error) setError(problemText(error));
    else setShares(data.items);
  }, [tenantId]);
  useEffect(() => void load(), [load]);

  return (
    <section aria-labelledby="reviews-title">
      <h1 id="reviews-title">My reviews</h1>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {!shares ? (
        <p role="status">Loading…</p>
      ) : shares.length === 0 ? (
        <p>Nothing waits for your review.</p>
      ) : (
        shares.map((share) => <ReviewShare key={share.reviewId} tenantId={tenantId} share={share} onDecided={load} />)
      )}
    </section>
  );
}

function ReviewShare({
  tenantId,
  share,
  onDecided,
}: {
  tenantId: string;
  share: Share;
  onDecided: () => Promise<void>;
}) {
  const [items, setItems] = useState<Item[]>([]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [comment, setComment] = useState('');
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string }>();
  const { reviewId } = share;
  const path = { tenantId, reviewId };
  const load = useCallback(async () => {
    const { data, error } = await api.GET('/v1/tenants/{tenantId}/reviews/{reviewId}/items', {
      params: { path: { tenantId, reviewId }, query: { reviewer: 'me' } },
    });
    if (error) setOutcome({ ok: false, text: problemText(error) });
    else setItems(data.items);
  }, [tenantId, reviewId]);
  useEffect(() => void load(), [load]);

  const groups = useMemo(() => {
    const byKey = new Map<string, Item[]>();
    for (const item of items) {
      const key = `${item.subjectId} · ${item.platform}`;
      byKey.set(key, [...(byKey.get(key) ?? []), item]);
    }
    return [...byKey.entries()];
  }, [items]);

  const decide = async (decision: 'approve' | 'revoke', itemIds: string[]) => {
    if (itemIds.length === 0) return setOutcome({ ok: false, text: 'Select at least one item' });
    if (decision === 'revoke' && !comment.trim())
      return setOutcome({ ok: false, text: 'A revocation needs a comment: say why the access goes' });
    const { data, error } = await api.POST('/v1/tenants/{tenantId}/reviews/{reviewId}/decisions', {
      params: { path },
      body: {
        decisions: itemIds.map((itemId) => ({
          itemId,
          decision,
          ...(comment.trim() ? { comment: comment.trim() } : {}),
        })),
      },
    });
    // Shown as accepted only when the review workflow accepted it (the update's result).
    if (error) setOutcome({ ok: false, text: `Not accepted: ${problemText(error)}` });
    else {
      setOutcome({ ok: true, text: `Accepted: ${data.recorded} recorded, ${data.remaining} left` });
      setSelected(new Set());
      setComment('');
    }
    await load();
    await onDecided();
  };

  const decided = share.total - share.remaining;
  const toggle = (id: string) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  return (
    <article className="card" aria-labelledby={`share-${share.reviewId}`}>
      <h2 id={`share-${share.reviewId}`}>Review {share.reviewId}</h2>
      <p>
        Deadline <time dateTime={share.deadline}>{new Date(share.deadline).toLocaleString()}</time>
      </p>
      <label>
        Your progress: {decided} of {share.total} decided{' '}
        <progress max={share.total} value={decided}>
          {decided} of {share.total}
        </progress>
      </label>
      {outcome && (
        <p role={outcome.ok ? 'status' : 'alert'} className={outcome.ok ? 'ok' : 'error'}>
          {outcome.text}
        </p>
      )}
      {groups.map(([group, groupItems]) => (
        <table key={group}>
          <caption>{group}</caption>
          <thead>
            <tr>
              <th scope="col">Select</th>
              <th scope="col">Entitlement</th>
              <th scope="col">Recommendation</th>
              <th scope="col">Decision</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {groupItems.map((item) => (
              <tr key={item.itemId} data-item={item.itemId}>
                <td>
                  <input
                    type="checkbox"
                    aria-label={`Select ${item.entitlementName ?? item.entitlementId} of ${item.subjectId}`}
                    checked={selected.has(item.itemId)}
                    disabled={item.decision !== undefined}
                    onChange={() => toggle(item.itemId)}
                  />
                </td>
                <td>
                  {item.entitlementName ?? item.entitlementId}
                  {item.entitlementName && <div className="help">{item.entitlementId}</div>}
                </td>
                <td>
                  {item.recommendation ?? '—'}
                  {item.recommendationReason && <div className="help">{item.recommendationReason}</div>}
                </td>
                <td>{item.decision ? `${item.decision}${item.comment ? `: ${item.comment}` : ''}` : 'pending'}</td>
                <td>
                  <button
                    type="button"
                    disabled={item.decision !== undefined}
                    onClick={() => void decide('approve', [item.itemId])}
                    aria-label={`Approve ${item.entitlementName ?? item.entitlementId} of ${item.subjectId}`}
                  >
                    Approve
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ))}
      <div className="actions">
        <label htmlFor={`comment-${share.reviewId}`}>Comment (required to revoke)</label>
        <textarea
          id={`comment-${share.reviewId}`}
          value={comment}
          onChange={(e) => setComment(e.target.value)}
          rows={2}
        />
        <button type="button" onClick={() => void decide('approve', [...selected])}>
          Approve selected ({selected.size})
        </button>
        <button type="button" className="danger" onClick={() => void decide('revoke', [...selected])}>
          Revoke selected ({selected.size})
        </button>
      </div>
    </article>
  );
}
