import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Registered on the Temporal server at start (scripts/dev.ts, test/global-setup.ts). */
export const TENANT_ID = defineSearchAttributeKey('TenantId', SearchAttributeType.KEYWORD);
export const RUNBOOK_KIND = defineSearchAttributeKey('RunbookKind', SearchAttributeType.KEYWORD);
export const SUBJECT_ID = defineSearchAttributeKey('SubjectId', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [TENANT_ID, RUNBOOK_KIND, SUBJECT_ID] as const;
