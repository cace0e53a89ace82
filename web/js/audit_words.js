// The handling history's codes in words, for the person's "who saw my
// data" and the staff's audit table: each action the gate names (the
// list in src/access/gate.c, checked by tests/api/portal_errors.test.mjs)
// and each kind of actor, in Japanese and English. An unknown code is
// shown as it is rather than hidden. The page's language is read from the
// document (as time.js does), so that the tests can read these tables too.

export const ACTIONS = {
  'record.create': ['記録を登録した', 'Recorded a value'], 'record.read': ['記録を見た', 'Read a record'],
  'record.search': ['記録を検索した', 'Searched records'], 'record.update': ['記録を訂正した', 'Corrected a record'],
  'record.history': ['記録の履歴を見た', 'Read a record\'s history'], 'account.signup': ['利用登録', 'Signed up'],
  'account.login': ['ログイン', 'Signed in'], 'account.logout': ['ログアウト', 'Signed out'],
  'account.second-factor': ['二要素認証の設定', 'Second factor settings'], 'policy.publish': ['規約・方針の公表', 'Published terms or policies'],
  'consent.record': ['同意・撤回の記録', 'Recorded a consent decision'], 'consent.read': ['同意の記録を見た', 'Read consent records'],
  'use.suspend': ['利用の停止', 'Suspended use'], 'use.lift': ['利用停止の解除', 'Lifted a suspension'],
  'recipient.manage': ['提供先の管理', 'Managed recipients'], 'recipient.read': ['提供先の情報を見た', 'Read recipients'],
  'client.token': ['提供先・アプリの認証', 'Recipient or app authenticated'], 'provision.read': ['提供の記録を見た', 'Read provision records'],
  'audit.read': ['取扱いの記録を見た', 'Read the handling history'], 'access-log.read': ['閲覧の記録を見た', 'Read an access log'],
  'staff.manage': ['職員の管理', 'Managed staff'], 'staff.login': ['職員のログイン', 'Staff signed in'],
  'staff.logout': ['職員のログアウト', 'Staff signed out'], 'staff.reason': ['閲覧の理由を登録した', 'Stated a reason to open data'],
  'incident.record': ['事故・インシデントの記録', 'Recorded an incident'], 'keys.rotate': ['暗号鍵の更新', 'Rotated keys'],
  'erasure.request': ['消去の依頼', 'Requested erasure'], 'erasure.execute': ['消去の実行', 'Erased data'],
  'disclosure.read': ['出力・開示', 'Export or disclosure'], 'retention.run': ['保存期間の処理', 'Ran retention rules'],
  'termination.announce': ['サービス終了の告知', 'Announced the end of the service'], 'checksheet.manage': ['チェックシートの点検', 'Checksheet assessment'],
  'bulk.export': ['一括で受け取った', 'Bulk export'], 'patient.read': ['利用者情報を見た', 'Read the patient record'],
  'anonymised.make': ['匿名加工情報の作成', 'Made an anonymised data set'],
  'anonymised.method': ['匿名加工の方法を見た', 'Read an anonymised data set\'s processing method'],
  'anonymised.table': ['匿名加工情報を取り出した', 'Took out an anonymised data set\'s table'],
};

export const ACTORS = {
  'another person': ['ほかの利用者', 'Another person'], 'a recipient of provision': ['提供先', 'A recipient'],
  'the service operator': ['サービスの運営者', 'The service operator'], handler: ['職員（取扱者）', 'Staff (handler)'],
  'security-officer': ['職員（責任者）', 'Staff (security officer)'], auditor: ['職員（監査者）', 'Staff (auditor)'],
  'asset-manager': ['職員（情報資産の管理者）', 'Staff (asset manager)'], unknown: ['不明', 'Unknown'],
};

export const RESULTS = { allow: ['許可', 'Allowed'], deny: ['拒否', 'Refused'] };

export const said = (table, code) => table[code]?.[globalThis.document?.documentElement?.lang === 'en' ? 1 : 0] ?? code;
