//! Micro-benchmarks of the pure functions every post, search and registration runs through:
//! Markdown rendering, search segmentation, the secret-leak guard and the username rules.
//! Inputs are invented help-desk texts, never the test samples the rules are checked against.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

use agora::domain::links::LinkPolicy;
use agora::domain::markdown::{LinkRules, render_source};
use agora::domain::names::{NameRules, skeleton_key};
use agora::domain::secrets::{SecretKind, find_secret};
use agora::domain::text::{index_document, parse_query, warm_up};

const SHORT_REPLY: &str = "**先别急**，TRC20 提币在高峰期可能要排队 1–2 小时，节假日会更久。You can \
follow the status in [the withdrawal FAQ](https://www.okx.com/help/withdrawal-faq) and on the \
explorer; 如果超过 24 小时还没到账，再带上 TXID 和截图提交工单。";

const TYPICAL_POST: &str = r#"## 提币一直显示"处理中"怎么办？

昨天晚上从资金账户提 **500 USDT** 到自己的钱包，选的是 TRC20 网络，到现在已经 14 个小时了，状态还是"处理中"。

What I have already checked:

1. 2FA 验证通过了，邮件里的确认链接也点了
2. KYC 是 Lv2，单日提币额度足够
3. 地址是从钱包 App 里直接复制的，没有手动输入
4. The network in the wallet is also TRON (TRC20), not ERC20
5. 账户最近没有改过密码，也没有换过登录设备，所以应该不是 24 小时的安全限制

提币记录里的 TXID 如下：

```
58b2a2055bb55bcbb37d2f2a4276b0bd066548bbcded8077efcfe3fb2c3ea935
```

但是在 [Tronscan](https://tronscan.org/#/transaction/58b2a2055bb55bcbb37d2f2a4276b0bd066548bbcded8077efcfe3fb2c3ea935) 上查不到这笔交易。
在线客服让我看 [帮助中心的提币指南](https://www.okx.com/help/withdrawal-faq)，but the guide only says to wait
30 minutes and then contact support again. When I tried to cancel and withdraw again I got error code
50113 and the page said *"Withdrawal suspended for this network"*. 是不是 TRC20 通道在维护？公告里没看到。

Has anyone had the same problem this week? 另外想问一下，如果最后退回，手续费 1 USDT 会不会一起退？
The amount is not huge, but it is most of what I keep on the exchange, so any hint is welcome.

Thanks in advance, 谢谢大家！
"#;

/// Sections of the long post, cycled until it reaches its size: a pinned how-to guide.
const GUIDE_SECTIONS: [&str; 4] = [
    r#"## 充值未到账

充值前请确认**网络一致**：从交易所 A 用 ERC20 转出，就必须在这里选择 ERC20 充值地址。
If the networks differ the funds usually cannot be credited automatically, and a manual recovery
takes 7–14 working days. 常见的情况有：

- 区块确认数不够：BTC 需要 2 个确认，ETH 需要 64 个确认
- 充值金额低于最小充值额（例如 USDT-TRC20 为 1 USDT）
- 忘记填写 Memo / Tag（XRP、EOS、TON 等币种必须填写）

You can look the transaction up on the explorer, e.g. [Etherscan](https://etherscan.io/tx/9680cbf9a0f4d4f7f3b2c9780175e3ff9918f2191616116c7655998523f8a6e7),
然后把 TXID 和截图一起发给[在线客服](https://www.okx.com/support)。
"#,
    r#"## 2FA 与安全设置

建议同时开启 **Google Authenticator** 和邮箱验证。换手机之前，先在旧手机上关闭 2FA，
或者把 32 位的密钥备份在离线的地方。Lost your phone? Use one of your recovery codes, or submit a
reset request with a selfie and your ID; the reset takes 1–3 days and withdrawals are locked for
24 hours afterwards, to protect you if someone else started it.

| 操作 | 需要的验证 |
|------|-----------|
| 登录 | 密码 + 2FA |
| 提币 | 2FA + 邮箱验证码 |
| 修改资金密码 | 2FA + 短信 |

> 官方客服**永远不会**向你索要助记词、私钥或 2FA 验证码。
"#,
    r#"## KYC 身份认证

Lv1 只需要姓名和证件号码，Lv2 需要上传证件正反面和人脸识别。Common reasons a KYC review is
rejected: the photo is blurred, the document has expired, or the name differs from the one on the
bank card. 审核一般在 24 小时内完成，节假日可能延长到 72 小时。

```text
错误码 51008: 证件已被其他账户使用
错误码 51011: 人脸识别失败，请在光线充足的地方重试
```

If you see error 51008, 请不要重复提交，直接联系客服说明情况。
"#,
    r#"## 提币被风控

新设备登录、修改密码或重置 2FA 之后，提币会被暂停 24 小时，这是正常的安全措施。
Withdrawals can also be held when the address was added less than 24 hours ago, or when the
amount is far above your usual pattern. 常见错误码：

1. `50113`：该网络暂停提币，请查看公告
2. `58350`：提币地址未在白名单中
3. `58207`：超出当日提币额度（Lv1 为 10 BTC，Lv2 为 500 BTC）

Please do not open several tickets for the same withdrawal; 多个工单会被合并，反而更慢。
"#,
];

const LONG_POST_BYTES: usize = 20 * 1024;

fn long_post() -> String {
    let mut post = String::with_capacity(LONG_POST_BYTES + 2048);
    post.push_str("# 新手常见问题汇总 (FAQ)\n\n");
    for section in GUIDE_SECTIONS.iter().cycle() {
        if post.len() >= LONG_POST_BYTES {
            break;
        }
        post.push_str(section);
        post.push('\n');
    }
    post
}

fn markdown(c: &mut Criterion) {
    let policy = LinkPolicy::new(&["okx.com".to_owned()]);
    let rules = LinkRules {
        policy: &policy,
        trusted_author: false,
    };
    let long = long_post();
    let mut group = c.benchmark_group("markdown::render_source");
    for (name, source) in [
        ("short_reply", SHORT_REPLY),
        ("typical_post", TYPICAL_POST),
        ("long_post", long.as_str()),
    ] {
        group.throughput(Throughput::Bytes(source.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), source, |b, s| {
            b.iter(|| render_source(black_box(s), rules));
        });
    }
    group.finish();
}

const CHINESE_TITLE: &str = "充值 USDT 一直不到账，已经过了三个小时";
const CHINESE_BODY: &str = "我从别的平台充值了两千 USDT，选择的是波场网络，区块浏览器上显示已经确认成功，\
但是资金账户里一直没有到账。充值地址是在充值页面复制的，没有填错。请问是不是需要更多的区块确认？\
之前充值都是十分钟左右就到了，这次等了三个小时。已经提交了工单，客服说正在核实，有没有人遇到过同样的情况？\
另外想问一下，身份认证二级会不会影响充值额度？谢谢！";

const ENGLISH_TITLE: &str = "Locked out after changing phone: how do I reset 2FA?";
const ENGLISH_BODY: &str = "I switched to a new phone last week and forgot to move my Google \
Authenticator codes. Now I cannot log in, because every login and every withdrawal asks for the \
2FA code. I still have access to my email and my KYC is verified (level 2), but I did not save the \
recovery codes. The reset form asks for a selfie holding my passport; I uploaded it twice and both \
times got error 51011 (face verification failed). Is there another way to reset two-factor \
authentication, and how long does the review usually take? I have a pending deposit of 0.35 ETH \
that I need to move before Friday.";

const MIXED_QUERY: &str = "USDT 提币 TRC20 错误码 50113 txid 58b2a2055bb55bcbb37d2f2a4276b0bd066548bbcded8077efcfe3fb2c3ea935";

fn segmentation(c: &mut Criterion) {
    // The first call loads the jieba dictionary; a server does that at start-up.
    warm_up();

    let mut group = c.benchmark_group("text::index_document");
    for (name, title, body) in [
        ("chinese", CHINESE_TITLE, CHINESE_BODY),
        ("english", ENGLISH_TITLE, ENGLISH_BODY),
        (
            "mixed",
            "提币一直显示处理中 (TRC20, error 50113)",
            TYPICAL_POST,
        ),
    ] {
        group.throughput(Throughput::Bytes((title.len() + body.len()) as u64));
        group.bench_with_input(
            BenchmarkId::from_parameter(name),
            &(title, body),
            |b, (t, s)| {
                b.iter(|| index_document(black_box(t), black_box(s)));
            },
        );
    }
    group.finish();

    let mut group = c.benchmark_group("text::parse_query");
    for (name, query) in [
        ("chinese", "提币一直处理中怎么办 充值没到账"),
        ("english", "withdrawal pending reset 2FA KYC rejected"),
        ("mixed", MIXED_QUERY),
    ] {
        group.throughput(Throughput::Bytes(query.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), query, |b, q| {
            b.iter(|| parse_query(black_box(q)));
        });
    }
    group.finish();
}

const ORDINARY_POST: &str = r#"充值 BTC 快两个小时了还没有到账，想问一下大家一般要等多久。

I sent 0.15 BTC from my hardware wallet to the deposit address shown on the deposit page. The
wallet says the transaction was broadcast with a fee of 12 sat/vB, which should be enough, but the
deposit history on the exchange is still empty. 充值页面写的是需要 2 个区块确认，我看了一下现在
只有 1 个确认，是不是网络比较拥堵？

Some more details in case they help:

- 账户是 KYC Lv2，之前充值过三次都很顺利，每次十几分钟就到了
- I did not change the network: it is Bitcoin mainnet on both sides, not BEP20 or Lightning
- 2FA 是开着的，最近也没有修改过密码或者更换设备
- The deposit address starts with bc1q and I copied it with the copy button, not by hand
- 钱包那边显示的状态是 "unconfirmed"，mempool 网站上说前面还有大约 40 MB 的交易在排队
- I also checked the announcements page: no maintenance notice for BTC deposits today

另外，我的朋友说如果手续费给得太低，交易可能会卡在内存池里好几天，这种情况下交易所能不能帮忙加速？
Or do I have to use replace-by-fee from my own wallet? I would rather not touch it again until I
know what is going on. 客服那边回复说要等工单排队，已经排到第 37 位了。

If anyone has had the same experience this week, please let me know how long it took in the end.
谢谢！Thanks a lot for reading such a long post.
"#;

const TXID_AND_ADDRESS_POST: &str = r#"提币成功了但是对方说没收到，帮忙看看是哪里出了问题。

Withdrawal details from the history page:

- 币种 / Coin: USDT, network TRC20, amount 1,250 USDT, fee 1 USDT
- 提币地址 / Address: TQC8agitWAuuy2YQuGhZa7nUK7xM8tjSKq
- TXID: 58b2a2055bb55bcbb37d2f2a4276b0bd066548bbcded8077efcfe3fb2c3ea935
- Status: 已完成 (completed) at 2026-11-18 21:04

The explorer shows the transaction as SUCCESS with 19 confirmations, so the coins left the
exchange. 对方是在另一个平台充值，给我的地址我核对过两遍，前四位和后四位都一样。

My friend also sent me his ERC20 address, 0x68d3705797a86cb1047db8c2b7a8912de18ead32, in case
the TRC20 one was wrong, but I have not used it yet. The tx hash of his test deposit to me was
9680cbf9a0f4d4f7f3b2c9780175e3ff9918f2191616116c7655998523f8a6e7 and that one arrived fine.

请问这种情况是对方平台的问题还是我的问题？需要我提供什么资料给客服？错误码没有看到，页面一切正常。
"#;

/// The BIP-39 list the crate ships; the seed-phrase sample is drawn from it so it has the
/// shape the guard looks for without being a sample the guard is tested on.
const BIP39_ENGLISH: &str = include_str!("../src/domain/secrets/lexicon/bip39-english.txt");

/// Twelve list words picked by a fixed xorshift, so every run measures the same text.
fn invented_seed_phrase() -> String {
    let words: Vec<&str> = BIP39_ENGLISH
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut picked = Vec::with_capacity(12);
    for _ in 0..12 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        picked.push(words[(state % words.len() as u64) as usize]);
    }
    picked.join(" ")
}

fn seed_phrase_post() -> String {
    format!(
        "钱包里的币不见了，求助！\n\n\
         I imported my wallet into a new app yesterday using the backup card I wrote years ago. \
         These are the words, in order:\n\n{}\n\n\
         After the import the balance shows 0, but on the explorer the old address still had \
         2,300 USDT last month. 是不是我导入错了？还是被盗了？有个自称客服的人私信我，说帮我恢复，\
         要我把助记词发给他。我还没发。Is that really support? 我应该怎么办？",
        invented_seed_phrase()
    )
}

fn secrets(c: &mut Criterion) {
    let seed_post = seed_phrase_post();
    let cases = [
        ("ordinary_post", ORDINARY_POST, None),
        ("txid_and_address", TXID_AND_ADDRESS_POST, None),
        (
            "seed_phrase",
            seed_post.as_str(),
            Some(SecretKind::SeedPhrase),
        ),
    ];
    // A case the guard answers differently would time another path than its name says.
    for (name, text, expected) in cases {
        assert_eq!(find_secret(text), expected, "bench input {name}");
    }

    let mut group = c.benchmark_group("secrets::find_secret");
    for (name, text, _) in cases {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), text, |b, t| {
            b.iter(|| find_secret(black_box(t)));
        });
    }
    group.finish();
}

const NAMES: [(&str, &str); 5] = [
    ("ascii", "bob_trader"),
    ("chinese", "小明同学"),
    ("confusable", "\u{0410}dmin"),
    ("full_width", "ｂｏｂ＿ｔｒａｄｅｒ"),
    ("emoji", "🚀月亮玩家🌙"),
];

fn names(c: &mut Criterion) {
    let mut group = c.benchmark_group("names::skeleton_key");
    for (name, input) in NAMES {
        group.bench_with_input(BenchmarkId::from_parameter(name), input, |b, n| {
            b.iter(|| skeleton_key(black_box(n)));
        });
    }
    group.finish();

    let rules = NameRules::new(&["OKX".to_owned(), "欧易".to_owned()]);
    let mut group = c.benchmark_group("names::NameRules::check");
    for (name, input) in NAMES {
        group.bench_with_input(BenchmarkId::from_parameter(name), input, |b, n| {
            b.iter(|| rules.check(black_box(n)));
        });
    }
    group.finish();
}

fn config() -> Criterion {
    // Short windows keep the whole run near a minute and a half; enough for a trend, not
    // for judging a 2 % change.
    Criterion::default()
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .without_plots()
}

criterion_group! {
    name = hot_paths;
    config = config();
    targets = markdown, segmentation, secrets, names
}
criterion_main!(hot_paths);
