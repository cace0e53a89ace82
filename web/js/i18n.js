// Japanese first, English on request; the choice is remembered.
const texts = {
  ja: {
    terms: '利用規約', summary: '利用規約の概要', privacy: 'プライバシーポリシー', purposes: '利用目的',
    checksheet: 'チェックシート', anonymised: '匿名加工情報', home: 'ホーム', record: '記録する', consents: '同意', access: '閲覧の記録',
    mydata: 'データの出力・取込・消去', signin: 'サインイン', signup: '新規登録', signout: 'サインアウト',
    welcome: 'あなたの健康記録を、あなたの管理のもとで。', required: '必須', optional: '任意',
    login: 'ログインID（メールアドレス）', password: 'パスワード（12文字以上）', next: '次へ',
    agree_intro: '登録の前に、利用規約の概要と利用目的をお読みください。必須の利用目的への同意がないと登録できません。任意の利用目的は、選ばなくてもサービスを使えます。',
    create: '同意して登録する', latest: '最新の記録', bp: '血圧', weight: '体重', chart_bp: '血圧の推移（mmHg）',
    checkups: '健診結果', none: 'まだ記録がありません。', date: '日時', value: '値', item: '項目',
    systolic: '収縮期（上）', diastolic: '拡張期（下）', save: '保存する', saved: '保存しました。',
    kind: '種類', unit: '単位', grant: '同意する', withdraw: '同意を撤回する', state: '現在の状態',
    history: '同意の履歴', granted: '同意済み', not_granted: '同意していません',
    withdraw_explain: '撤回すると、その時点からこの目的での利用・提供は止まります。撤回前の利用は取り消されません。',
    by_others: 'あなた以外によるアクセス', provisions: '第三者への提供の記録', export: 'データの出力（開示）',
    export_explain: '当サービスが保有するあなたの情報をすべて、1つのファイルで受け取れます。',
    download: 'ダウンロード', import: '健診結果・お薬手帳・測定値の取込', upload: '取り込む',
    import_files: 'ファイル（特定健診 CDA .xml・FHIR .json・お薬手帳 .txt・測定機器の CSV・SPHR パッケージ .zip、複数選べます）',
    sphr: 'SPHR パッケージ（すべてと取り込んだ原本）', okusuri: 'お薬手帳（JAHIS 形式）', checkup_report: '健診結果報告書（FHIR）をダウンロード', import_progress: '取込の進み具合', imported: '取り込みました', already: '取込済みです', refused: '取り込めません', medicines: '薬',
    medication: 'お薬の記録', medicine: '薬品', usage: '用法', supply: '日数・量', pharmacy: '薬局',
    otc: '市販薬（要指導医薬品・一般用医薬品）',
    erase: 'アカウントの消去', erase_preview: '消去される内容を確認する',
    erase_confirm: 'パスワードを入力して消去する', erased: '消去しました。ご利用ありがとうございました。',
    will_erase: '消去されるもの', will_keep: '法令により残るもの', records: '記録', versions: '版',
    audit_entries: '取扱いの記録', provision_records: '第三者提供の記録',
    effective: '施行日', version: '版', policy_versions: 'これまでの版', earlier_version: 'これは以前の版です。', current_version: '現在の版を見る',
    staff: '職員', otp: '確認コード（認証アプリの6桁）', open_person: '利用者の記録を開く',
    reason_explain: '記録は、理由（問い合わせ番号など）を入力したときだけ開けます。理由は取扱いの記録に残ります。',
    person_id: '利用者ID', reason: '理由（問い合わせ番号など）', open: '開く', history_audit: '取扱いの記録（監査）',
    search: '検索', staff_accounts: '職員アカウント', audit_export: 'この範囲をファイルで保存', audit_verify: '取扱いの記録を検証する',
    audit_intact: '改ざんはありません（記録数 / 署名済みチェックポイント）', checkpoints: '', audit_broken: '改ざんを検出しました。最初の不整合は記録',
    organisations: '外部の組織（提供先・委託先）', organisations_explain: '追加・変更は運用者のコマンド（phr recipient）で行い、その記録が残ります。',
    agreement: '契約', certification: '認証', ended: '（終了）', none_yet: '未締結', disable: '停止する', enable: '再開する', staff_add: '職員を追加する',
    staff_once: '初期パスワード・認証アプリ登録用URI・回復コードは、この一度だけ表示されます。本人に安全な方法で渡してください。',
    suspension: '利用停止', suspend: 'すべての利用を停止する', lift: '利用停止を解除する', suspended: '現在、すべての利用を停止しています。',
    suspension_explain: '停止すると、データは保存したまま、記録の追加と第三者への提供を含むすべての利用が止まります。解除すればまた使えます。',
    chart_weight: '体重の推移（kg）', chart_glucose: '血糖の推移（mg/dL）', chart_steps: '歩数の推移',
    temperature: '体温', pulse: '脈拍', glucose: '血糖', spo2: 'SpO2', steps: '歩数', correct: '訂正', correct_explain: '訂正した値が新しい版になります。元の値は履歴として残ります。', steps_unit: '歩', range: '表示する期間', last: '直近', days: '日', all: 'すべて',
    reconsent: '利用目的が大きく変わりました。改めて同意するまで、次の目的での利用は止まっています',
    reconsent_go: '変更内容を確認して同意する', changed_material: 'この利用目的は大きく変更されました。以前の同意は引き継がれません。内容を確認し、続ける場合は改めて同意してください。',
    changed_minor: 'この利用目的の説明が変更されました（軽微な変更のため、同意は引き継がれています）。',
  },
  en: {
    terms: 'Terms of service', summary: 'Summary of the terms', privacy: 'Privacy policy', purposes: 'Purposes of use',
    checksheet: 'Checksheet', anonymised: 'Anonymised data', home: 'Home', record: 'Record', consents: 'Consents', access: 'Who saw my data',
    mydata: 'Export, import, erase', signin: 'Sign in', signup: 'Sign up', signout: 'Sign out',
    welcome: 'Your health records, under your control.', required: 'required', optional: 'optional',
    login: 'Login (e-mail address)', password: 'Password (12 characters or more)', next: 'Next',
    agree_intro: 'Before signing up, please read the summary of the terms and the purposes of use. Without consent to the required purposes you cannot sign up; the optional ones you may leave unchosen.',
    create: 'Agree and sign up', latest: 'Latest records', bp: 'Blood pressure', weight: 'Body weight',
    chart_bp: 'Blood pressure over time (mmHg)', checkups: 'Checkup results', none: 'No records yet.',
    date: 'Date', value: 'Value', item: 'Item', systolic: 'Systolic', diastolic: 'Diastolic', save: 'Save',
    saved: 'Saved.', kind: 'Kind', unit: 'Unit', grant: 'Consent', withdraw: 'Withdraw consent', state: 'Now',
    history: 'History of consents', granted: 'consented', not_granted: 'not consented',
    withdraw_explain: 'Withdrawing stops use and provision for this purpose from that moment; earlier use is not undone.',
    by_others: 'Accesses by anyone other than you', provisions: 'Provision to third parties',
    export: 'Export (disclosure)', export_explain: 'Everything this service holds about you, in one file.',
    download: 'Download', import: 'Import checkups, お薬手帳, measurements', upload: 'Import',
    import_files: 'Files (特定健診 CDA .xml, FHIR .json, お薬手帳 .txt, a device\'s CSV, an SPHR package .zip; several at once)',
    sphr: 'SPHR package (everything, with the files imported)', okusuri: 'お薬手帳 (JAHIS text)', checkup_report: 'Download the checkup report (FHIR)', import_progress: 'Import progress', imported: 'imported', already: 'imported before', refused: 'refused', medicines: 'medicines',
    medication: 'Medication', medicine: 'Medicine', usage: 'Usage', supply: 'Days / amount', pharmacy: 'Pharmacy',
    otc: 'Over-the-counter medicines',
    erase: 'Erase my account', erase_preview: 'See what would be erased',
    erase_confirm: 'Erase, with my password', erased: 'Erased. Thank you for using the service.',
    will_erase: 'What is erased', will_keep: 'What the law makes us keep', records: 'records', versions: 'versions',
    audit_entries: 'handling-history entries', provision_records: 'provision records',
    effective: 'Effective', version: 'Version', policy_versions: 'All versions', earlier_version: 'This is an earlier version.', current_version: 'See the version in force',
    staff: 'Staff', otp: 'Code (6 digits from the authenticator app)', open_person: 'Open a person\'s records',
    reason_explain: 'Records open only under a reason (an inquiry number, say); the reason goes into the handling history.',
    person_id: 'Person id', reason: 'Reason (inquiry number…)', open: 'Open', history_audit: 'Handling history (audit)',
    search: 'Search', staff_accounts: 'Staff accounts', audit_export: 'Save this range as a file', audit_verify: 'Verify the handling history',
    audit_intact: 'Intact (entries / signed checkpoints)', checkpoints: '', audit_broken: 'Tampering detected. First broken entry',
    organisations: 'Outside organisations (recipients, processors)', organisations_explain: 'The operator adds and changes them (phr recipient); each change is recorded.',
    agreement: 'Agreement', certification: 'Certification', ended: '(ended)', none_yet: 'none yet', disable: 'Disable', enable: 'Enable', staff_add: 'Add a staff member',
    staff_once: 'The first password, the authenticator URI and the recovery codes are shown this once only. Hand them over safely.',
    suspension: 'Suspension of use', suspend: 'Suspend all use', lift: 'Lift the suspension', suspended: 'All use of your data is suspended.',
    suspension_explain: 'While suspended, your data is kept but nothing uses it: no new records, no provision to third parties. Lift it to use the service again.',
    chart_weight: 'Body weight over time (kg)', chart_glucose: 'Glucose over time (mg/dL)', chart_steps: 'Steps over time',
    temperature: 'Body temperature', pulse: 'Heart rate', glucose: 'Glucose', spo2: 'SpO2', steps: 'Steps', correct: 'Correct', correct_explain: 'The corrected value becomes a new version; the earlier one stays in the history.', steps_unit: 'steps', range: 'Period shown', last: 'last', days: 'days', all: 'everything',
    reconsent: 'A purpose of use has changed materially; nothing is used for it until you consent again',
    reconsent_go: 'Review the change and consent', changed_material: 'This purpose has changed materially. Your earlier consent does not carry over: read it, and consent again to continue.',
    changed_minor: 'The wording of this purpose changed (a minor change: your consent carries over).',
  },
};

export let lang = localStorage.getItem('lang') === 'en' ? 'en' : 'ja';

export function t(key) {
  return texts[lang][key] ?? texts.ja[key] ?? key;
}

// The member of {ja, en} for the language shown, falling back to Japanese.
export function pick(o) {
  return (o && (o[lang] || o.ja)) || '';
}

export function toggle() {
  lang = lang === 'ja' ? 'en' : 'ja';
  localStorage.setItem('lang', lang);
  document.documentElement.lang = lang;
}
