import { approvalRefusal, extensionRefusal } from '../shared/approvals';

const subject = { subjectId: 'e-42', userName: 'ada', managerId: 'mgr-7', accounts: { entra: 'ada@acme.example' } };

it('never lets the requester or the subject (any of their identities) approve', () => {
  expect(approvalRefusal({ approverId: 'desk-1', requesterId: 'desk-1', subject })).toBe(
    'an approver cannot approve their own request',
  );
  for (const id of ['e-42', 'ada', 'ada@acme.example']) {
    expect(
      approvalRefusal({
        approverId: id,
        requesterId: 'desk-1',
        subject,
        platform: 'entra',
        approverRole: 'approver',
        tenantApprovers: [id],
      }),
    ).toBe('the subject cannot approve their own access');
  }
});

it("asks a manager step for the subject's manager, whatever approvers the tenant lists", () => {
  const managerStep = { requesterId: 'hr-1', subject, approverRole: 'manager' as const, tenantApprovers: ['sec-lead'] };
  expect(approvalRefusal({ ...managerStep, approverId: 'mgr-7' })).toBeUndefined();
  expect(approvalRefusal({ ...managerStep, approverId: 'sec-lead' })).toBe("sec-lead is not the subject's manager");
});

it('asks an approver step for a listed approver, or anyone but the requester and subject when none is listed', () => {
  expect(
    approvalRefusal({ approverId: 'mallory', subject, approverRole: 'approver', tenantApprovers: ['sec-lead'] }),
  ).toBe('mallory is not an approver of this tenant');
  expect(
    approvalRefusal({ approverId: 'sec-lead', subject, approverRole: 'approver', tenantApprovers: ['sec-lead'] }),
  ).toBeUndefined();
  expect(
    approvalRefusal({ approverId: 'anyone', subject, approverRole: 'approver', tenantApprovers: [] }),
  ).toBeUndefined();
});

it('refuses an extension by the subject under any identity', () => {
  expect(extensionRefusal('ada@acme.example', subject, 'entra')).toBe('the subject cannot extend their own access');
  expect(extensionRefusal('mgr-7', subject, 'entra')).toBeUndefined();
});
