import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Failure messages and stack traces go into a payload (`encodedAttributes`), so the
 * payload codec encrypts them like any other payload: a platform's error naming a
 * person never stands readable in a history. Loaded by path (workflows run in an
 * isolate), by workers and clients alike when payload encryption is on.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
