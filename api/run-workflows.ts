import type { Client, WorkflowHandleWithStartDetails, WorkflowOptions } from '@temporalio/client';
import type { RunbookKind } from '../shared/runs';
import { WORKFLOW_TYPE } from '../shared/workflow-types';
import type { accessReviewCampaign } from '../workflows/access-review';
import type { credentialRotation } from '../workflows/credential-rotation';
import type { offboarding } from '../workflows/offboarding';
import type { onboarding } from '../workflows/onboarding';
import type { privilegedAccess } from '../workflows/privileged-access';

/** The workflow function behind each kind of run (WORKFLOW_TYPE names it): what the API starts is typed by it. */
export interface RunWorkflows {
  offboarding: typeof offboarding;
  onboarding: typeof onboarding;
  'credential-rotation': typeof credentialRotation;
  'access-review': typeof accessReviewCampaign;
  'privileged-access': typeof privilegedAccess;
}

/** The request a run of this kind starts with: its workflow's first argument. */
export type RunRequest<K extends RunbookKind> = Parameters<RunWorkflows[K]>[0];

type StartOptions = Omit<WorkflowOptions, 'args'>;
type Start<K extends RunbookKind> = (
  client: Client,
  request: RunRequest<K>,
  options: StartOptions,
) => Promise<WorkflowHandleWithStartDetails<RunWorkflows[K]>>;

/** One start per kind, each checked against its own workflow's parameters (a generic kind could not be). */
const STARTS: { [K in RunbookKind]: Start<K> } = {
  offboarding: (client, request, options) =>
    client.workflow.start<typeof offboarding>(WORKFLOW_TYPE.offboarding, { ...options, args: [request] }),
  onboarding: (client, request, options) =>
    client.workflow.start<typeof onboarding>(WORKFLOW_TYPE.onboarding, { ...options, args: [request] }),
  'credential-rotation': (client, request, options) =>
    client.workflow.start<typeof credentialRotation>(WORKFLOW_TYPE['credential-rotation'], {
      ...options,
      args: [request],
    }),
  'access-review': (client, request, options) =>
    client.workflow.start<typeof accessReviewCampaign>(WORKFLOW_TYPE['access-review'], {
      ...options,
      args: [request],
    }),
  'privileged-access': (client, request, options) =>
    client.workflow.start<typeof privilegedAccess>(WORKFLOW_TYPE['privileged-access'], {
      ...options,
      args: [request],
    }),
};

/** Starts the workflow of a kind of run with the request that workflow takes. */
export function startRunWorkflow<K extends RunbookKind>(
  client: Client,
  kind: K,
  request: RunRequest<K>,
  options: StartOptions,
): Promise<WorkflowHandleWithStartDetails<RunWorkflows[K]>> {
  const start: Start<K> = STARTS[kind];
  return start(client, request, options);
}
