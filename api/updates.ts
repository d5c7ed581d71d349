import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { conflict, problem } from './problem';

/**
 * Runs a workflow update for a human decision. The workflow's refusal (its
 * validator or handler threw) goes back to the caller as 422 with the reason;
 * a run that has finished is 409.
 */
export async function executeDecision<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      throw problem(422, 'decision-rejected', 'The run did not accept this decision', {
        detail: err.cause?.message ?? err.message,
      });
    }
    if (err instanceof WorkflowNotFoundError) throw conflict('run-closed', 'The run is no longer open for decisions');
    throw err;
  }
}
