// What the portal tells a person when the service refuses something: the
// refusal's title (the server writes it in the language asked for, by its
// stable code, docs/errors.md) and, where the portal knows one, what to do
// next here. Never a route, a header or a status: the detail of each
// refusal is the developers' (kept on the error, in English).

// By code: what to do, in the portal's words.
export const NEXT_STEP = {
  'sign-in-required': { ja: 'ログインしてから、もう一度お試しください。', en: 'Sign in, then try again.' },
  'session-expired': { ja: 'もう一度ログインしてください。', en: 'Sign in again.' },
  'sign-in-failed': {
    ja: '入力を確かめて、もう一度お試しください。二要素認証を有効にしている場合は、認証アプリの6桁のコード（または回復コード）も入力してください。',
    en: 'Check what you typed and try again. With a second factor on, also enter the 6-digit code from your authenticator app (or a recovery code).',
  },
  'otp-mismatch': { ja: '認証アプリに今表示されているコードを入力してください。', en: 'Enter the code your authenticator app shows now.' },
  'otp-reused': { ja: '次のコードが表示されるまでお待ちください。', en: 'Wait for the next code.' },
  'password-weak': { ja: '10文字以上で、ログインIDを含まない、推測されにくいものにしてください。', en: 'Use 10 characters or more, not containing your login, hard to guess.' },
  'password-wrong': { ja: '今のパスワード（と確認コード）を確かめてください。何も変更していません。', en: 'Check your current password (and the code); nothing was changed.' },
  'login-taken': { ja: '別のログインIDを選んでください。', en: 'Choose another login.' },
  'consent-required': { ja: '「同意」の画面で、必須の利用目的に同意してください。', en: 'Consent to the required purposes on the Consent page.' },
  'use-suspended': { ja: '「同意」の画面で利用停止を解除すると、また記録できます。', en: 'Lift the suspension on the Consent page to record again.' },
  'reason-required': { ja: '閲覧の理由を入力してから開いてください。', en: 'Enter the reason for opening this person\'s data, then open it.' },
  'account-disabled': { ja: '管理者にお問い合わせください。', en: 'Ask the administrator.' },
  'signup-closed': { ja: 'サービスは終了に向けて準備中です。', en: 'The service is preparing to close.' },
  'service-closed': { ja: '記録を出力できる期間は終わりました。', en: 'The period for exporting your records has ended.' },
  'version-conflict': { ja: '画面を開き直してから、もう一度お試しください。', en: 'Open the page again, then try again.' },
  'version-mismatch': { ja: '画面を開き直してから、もう一度お試しください。', en: 'Open the page again, then try again.' },
  'erasure-expired': { ja: '「私のデータ」の画面から、もう一度申請してください。', en: 'Ask again on the My data page.' },
  'page-link-expired': { ja: '画面を開き直してください。', en: 'Open the page again.' },
  'not-importable': { ja: '特定健診のXML、FHIRのJSON、お薬手帳のテキスト、測定値のCSVを選んでください。', en: 'Choose a 特定健診 XML, a FHIR JSON, an お薬手帳 text or a CSV of measurements.' },
  'media-type': { ja: 'ファイルの種類を確かめてください。', en: 'Check the type of the file.' },
  'too-large': { ja: '小さく分けてから、もう一度お試しください。', en: 'Split it into smaller parts and try again.' },
  'too-many': { ja: '数を減らして、もう一度お試しください。', en: 'Send fewer at once and try again.' },
  'rate-limited': { ja: '少し時間をおいてから、もう一度お試しください。', en: 'Wait a little, then try again.' },
  'locked-out': { ja: 'しばらく待ってから、もう一度お試しください。', en: 'Wait a while, then try again.' },
  busy: { ja: '少し待ってから、もう一度お試しください。', en: 'Wait a moment, then try again.' },
  stopping: { ja: '少し待ってから、もう一度お試しください。', en: 'Wait a moment, then try again.' },
  unavailable: { ja: 'しばらくしてから、もう一度お試しください。', en: 'Try again later.' },
  internal: { ja: '時間をおいても直らないときは、お問い合わせください。', en: 'If it persists, contact us.' },
  'cross-site': { ja: 'このサービスの画面から操作してください。', en: 'Use this service\'s own pages.' },
  'second-factor-on': { ja: '設定を変えるには、いったん無効にしてください。', en: 'Turn it off first to change it.' },
  'erasure-done': { ja: 'この記録はすでに消去されています。', en: 'These records are erased already.' },
  'terms-unpublished': { ja: '公開されるまでお待ちください。', en: 'Please wait until they are published.' },
};

// The message for a refusal: its title, then the next step if there is one.
export function messageOf(code, title, lang) {
  const next = NEXT_STEP[code]?.[lang === 'en' ? 'en' : 'ja'];
  if (!next) return title;
  if (lang === 'en') return `${title}${/[.!?]$/.test(title) ? '' : '.'} ${next}`;
  return `${title}${/[。！？]$/.test(title) ? '' : '。'}${next}`;
}
