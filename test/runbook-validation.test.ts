import { validateRunbook } from '../store/runbook-schema';
import { SEED_RUNBOOKS } from '../runbooks';

const step = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  platform: 'reference',
  action: 'disableAccount',
  onFailure: 'continue',
  ...extra,
});
const runbook = (steps: unknown[], extra: Record<string, unknown> = {}) => ({
  kind: 'offboarding',
  name: 'Leaver',
  steps,
  ...extra,
});

function problems(input: unknown) {
  const result = validateRunbook(input);
  if (result.ok) throw new Error('expected the runbook to be rejected');
  return result.problems;
}

it('accepts every seed runbook the product ships', () => {
  for (const { runbookId: _id, version: _v, productDefault: _d, ...seed } of SEED_RUNBOOKS) {
    expect(validateRunbook(seed)).toMatchObject({ ok: true });
  }
});

it('lists every problem of a bad runbook at once, each at its path', () => {
  const bad = runbook(
    [
      step('a'),
      step('a'),
      step('b', { platform: 'myspace' }),
      step('c', { platform: 'github', action: 'transferOwnership' }),
      step('d', { action: 'addEntitlement' }),
      step('e', { after: ['nope'] }),
      step('f', { after: ['g'] }),
      step('g', { after: ['f'] }),
      step('h', { after: ['h'] }),
      step('i', { phase: 1, after: ['j'] }),
      step('j', { phase: 2 }),
    ],
    { name: '' },
  );
  expect(problems(bad)).toEqual(
    expect.arrayContaining([
      { path: 'name', message: expect.any(String) },
      { path: 'steps.1.id', message: 'duplicate step id "a" (first used by steps.0)' },
      {
        path: 'steps.2.platform',
        message: expect.stringMatching(/^unknown platform "myspace" \(known: entra, aws-iam/),
      },
      { path: 'steps.3.action', message: expect.stringMatching(/^github does not support transferOwnership/) },
      { path: 'steps.4.params.entitlement', message: 'required by addEntitlement' },
      { path: 'steps.5.after.0', message: 'unknown step id "nope"' },
      { path: 'steps.7.after', message: 'dependency cycle: f → g → f' },
      { path: 'steps.8.after', message: 'dependency cycle: h → h' },
      { path: 'steps.9.after.0', message: '"j" is in phase 2, later than this step\'s phase 1' },
    ]),
  );
  expect(problems(bad)).toHaveLength(9);
});

it('rejects unknown fields, wrong failure modes and malformed durations', () => {
  const found = problems(
    runbook([step('a', { onFailure: 'explode', delay: 'soon', colour: 'red' })], { kind: 'leaving' }),
  );
  expect(found.map((p) => p.path).sort()).toEqual(['kind', 'steps.0', 'steps.0.delay', 'steps.0.onFailure']);
});

it('reports a longer cycle once, naming its steps in order', () => {
  const found = problems(
    runbook([step('a', { after: ['c'] }), step('b', { after: ['a'] }), step('c', { after: ['b'] })]),
  );
  expect(found).toEqual([{ path: 'steps.1.after', message: 'dependency cycle: a → c → b → a' }]);
});

it('takes offsetDays only where there is a date to count from', () => {
  expect(validateRunbook(runbook([step('warn', { offsetDays: -7 }), step('late', { offsetDays: 1.5 })]))).toMatchObject(
    { ok: true },
  );
  expect(problems(runbook([step('a', { offsetDays: -7 })], { kind: 'access-review' }))).toEqual([
    {
      path: 'steps.0.offsetDays',
      message: 'only offboarding (leave date) and onboarding (start date) runbooks have a date to count from',
    },
  ]);
  expect(problems(runbook([step('a', { offsetDays: -400 })])).map((p) => p.path)).toEqual(['steps.0.offsetDays']);
});
