//! The words of demo threads: support questions in Chinese, English and both, on the
//! topics an exchange's help centre gets, with answers from members and staff. Built from
//! templates with slots (coins, networks, error codes, ids), from a seeded generator, so
//! the same seed gives the same forum.

/// A small, fast, seeded generator (xorshift64*): demo content needs variety, not secrecy.
pub struct Dice(u64);

impl Dice {
    pub fn new(seed: u64) -> Self {
        Dice(seed.max(1))
    }

    pub fn roll(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.roll() % n }
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Chinese,
    English,
    Mixed,
}

impl Language {
    /// Most members write Chinese, many English, some both (PRODUCT.md).
    pub fn roll(dice: &mut Dice) -> Self {
        match dice.below(100) {
            0..65 => Language::Chinese,
            65..85 => Language::English,
            _ => Language::Mixed,
        }
    }
}

/// One kind of question, in both languages.
struct Topic {
    board: &'static str,
    zh_titles: &'static [&'static str],
    en_titles: &'static [&'static str],
    zh_bodies: &'static [&'static str],
    en_bodies: &'static [&'static str],
    zh_replies: &'static [&'static str],
    en_replies: &'static [&'static str],
    zh_staff: &'static [&'static str],
    en_staff: &'static [&'static str],
}

const TOPICS: &[Topic] = &[
    Topic {
        board: "technical-support",
        zh_titles: &[
            "{coin} 提出去 {hours} 小时还没收到",
            "提币状态卡在“审核”不动",
            "{network} 链上查不到我的提币",
            "请问提币一般多久能出 TXID",
        ],
        en_titles: &[
            "{coin} payout still not received after {hours}h",
            "Withdrawal sits in review forever",
            "Cannot find my {network} withdrawal on the explorer",
        ],
        zh_bodies: &[
            "{time}发起的提币，数量 {amount} {coin}，走的 {network}，页面一直转圈。",
            "钱包那边什么都没收到，平台也没给交易哈希。",
            "以前同样的地址几分钟就到，这次不知道卡在哪一步。",
        ],
        en_bodies: &[
            "I requested {amount} {coin} via {network} {time} and the page just keeps spinning.",
            "Nothing has reached my wallet and the platform shows no transaction hash yet.",
            "The same address used to receive within minutes, so something is different this time.",
        ],
        zh_replies: &[
            "没出哈希就是还没广播，多半在排队审核。",
            "前几天我的也慢，晚上就好了。",
            "去公告区看看，可能在做钱包升级。",
        ],
        en_replies: &[
            "No hash means it was not broadcast yet; it is probably queued for review.",
            "Mine was slow a few days ago too, it went through in the evening.",
            "Have a look at the announcements, wallets may be upgrading.",
        ],
        zh_staff: &[
            "官方回复：已为您加急处理，该笔提币将在今天内广播，届时可在记录中看到交易哈希。",
            "官方回复：{network} 通道升级完毕，排队的提币正在依次发出。",
        ],
        en_staff: &[
            "Staff: we escalated it and it will be broadcast today; the transaction hash will then appear in your history.",
            "Staff: the {network} channel upgrade is complete and queued payouts are going out in order.",
        ],
    },
    Topic {
        board: "beginners",
        zh_titles: &[
            "转进来的 {coin} 余额里看不到",
            "{network} 转账成功但平台显示 0",
            "新手问：入金要等几个确认",
        ],
        en_titles: &[
            "Incoming {coin} transfer not showing in my balance",
            "{network} transfer succeeded but balance is zero",
            "How many confirmations before a deposit counts?",
        ],
        zh_bodies: &[
            "区块浏览器上状态是成功，哈希 TXID: {txid}，可资产页还是老样子。",
            "从个人钱包转了 {amount} {coin}，网络选的 {network}。",
            "会不会是我复制地址的时候选错了链？",
        ],
        en_bodies: &[
            "The explorer says success for TXID: {txid} yet my assets page has not changed.",
            "I moved {amount} {coin} from my own wallet using {network}.",
            "Could I have copied the address for the wrong chain?",
        ],
        zh_replies: &[
            "等够区块确认才会入账，别急。",
            "先核对一下收款地址和网络是否一致。",
            "金额太小可能低于起充线，攒够了才会到。",
        ],
        en_replies: &[
            "It only counts after enough block confirmations, give it time.",
            "First compare the receiving address and the network.",
            "Tiny amounts under the minimum wait until the total passes it.",
        ],
        zh_staff: &["官方回复：请在工单里附上交易哈希和截图，核实后会手动补到您的账户。"],
        en_staff: &[
            "Staff: send us a ticket with the transaction hash and a screenshot; after checking we will add it by hand.",
        ],
    },
    Topic {
        board: "beginners",
        zh_titles: &[
            "身份验证提交后一直没结果",
            "刷脸环节反复失败怎么办",
            "证件照片被退回，原因是看不清",
        ],
        en_titles: &[
            "Still no answer on my ID check",
            "Selfie step fails again and again",
            "ID photo sent back as unreadable",
        ],
        zh_bodies: &[
            "资料交上去 {hours} 小时了，邮箱和站内信都没有消息。",
            "在 {device} 上按要求眨眼、摇头，最后还是提示不通过。",
            "身份证正反面都拍了好几遍，还是说不清晰。",
        ],
        en_bodies: &[
            "I sent my documents {hours} hours ago and heard nothing by mail or in the app.",
            "On my {device} I blink and shake my head as asked, it still says no.",
            "I took both sides of my ID card several times and it keeps saying unclear.",
        ],
        zh_replies: &[
            "节假日排队的人多，耐心等两三天。",
            "用电脑浏览器试试，摄像头清楚一些。",
            "关掉闪光灯，在自然光下拍。",
        ],
        en_replies: &[
            "Holidays mean long queues, allow two or three days.",
            "Try a desktop browser, the webcam may do better.",
            "Switch the flash off and shoot in daylight.",
        ],
        zh_staff: &["官方回复：您的资料已进入人工复核，结果会通过站内信通知。"],
        en_staff: &[
            "Staff: your documents are with a human reviewer; you will get the result in your inbox.",
        ],
    },
    Topic {
        board: "technical-support",
        zh_titles: &[
            "换了新手机，验证器里的码全没了",
            "二次验证码总说不对",
            "恢复码找不到了还能登录吗",
        ],
        en_titles: &[
            "New phone, authenticator codes are gone",
            "My 2FA code is never accepted",
            "Lost my recovery codes, can I still get in?",
        ],
        zh_bodies: &[
            "旧手机恢复出厂了，没备份验证器，现在卡在登录第二步。",
            "输入六位码总提示无效，手机时间看着也正常。",
        ],
        en_bodies: &[
            "I reset my old phone without backing up the authenticator and now I am stuck at the second login step.",
            "The six-digit code is always refused although my phone clock looks fine.",
        ],
        zh_replies: &[
            "把手机时间改成网络自动同步再试。",
            "注册时给的恢复码可以代替验证码用一次。",
        ],
        en_replies: &[
            "Switch the phone clock to network time and try again.",
            "A recovery code from sign-up works once instead of a code.",
        ],
        zh_staff: &[
            "官方回复：请走“重置两步验证”流程，完成身份核验后即可重新绑定。请注意，官方人员绝不会索要您的验证码或密码。",
        ],
        en_staff: &[
            "Staff: use the two-step reset flow; once your identity is confirmed you can bind again. We will never ask for your codes or password.",
        ],
    },
    Topic {
        board: "technical-support",
        zh_titles: &[
            "接口下单总返回错误码 {code}",
            "REST 请求报 {code}，查余额却没问题",
            "程序化交易遇到 {code}",
        ],
        en_titles: &[
            "Placing orders via API gives {code}",
            "REST call fails with {code}, balance call works",
            "Trading bot stopped with error {code}",
        ],
        zh_bodies: &[
            "用脚本调接口，只有下单这一步报 {code}，其他接口都通。",
            "按文档拼接的签名，时间也用的 UTC。",
        ],
        en_bodies: &[
            "My script hits the API fine except placing orders, which return {code}.",
            "The signature follows the docs and the time is UTC.",
        ],
        zh_replies: &[
            "签名要对原始请求体做，别先转成对象再序列化。",
            "服务器时钟偏了也会这样，装个 NTP。",
            "看看 key 有没有开交易权限。",
        ],
        en_replies: &[
            "Sign the exact bytes you send, not a re-serialised object.",
            "A drifting server clock causes this too; run NTP.",
            "Make sure the key has trading enabled.",
        ],
        zh_staff: &[
            "官方回复：{code} 是签名不匹配，请检查 secret 前后是否带了空格，时间戳需为毫秒。",
        ],
        en_staff: &[
            "Staff: {code} means the signature did not match; check the secret for stray spaces and send milliseconds.",
        ],
    },
    Topic {
        board: "trading-issues",
        zh_titles: &[
            "夜里一根长影线把我的多单打没了",
            "{lev} 倍仓位被平，价格明明没到",
            "强平之后余额怎么是负的",
        ],
        en_titles: &[
            "A late-night spike wiped out my long",
            "{lev}x position closed although price never got there",
            "My balance went negative after being liquidated",
        ],
        zh_bodies: &[
            "{coin} 开了 {lev} 倍，睡醒发现仓位没了，只剩一根长下影。",
            "我看的 K 线最低点离强平价还有距离，怎么会触发？",
        ],
        en_bodies: &[
            "I opened {coin} at {lev}x and woke up to an empty position and one long lower shadow.",
            "The candle low I see stayed above my liquidation level, how did it trigger?",
        ],
        zh_replies: &[
            "触发看的是标记价，不是成交价。",
            "倍数开太大了，多留点保证金。",
            "觉得有问题可以发工单要求核查。",
        ],
        en_replies: &[
            "Triggers use the mark price rather than trades.",
            "The leverage was too high; keep more collateral.",
            "If it looks wrong, file a ticket and ask for a check.",
        ],
        zh_staff: &["官方回复：我们核对了当时的标记价格，确实触及您的强平线，处理无误。"],
        en_staff: &[
            "Staff: we compared the mark price at that moment and it did cross your liquidation line, so the close was correct.",
        ],
    },
    Topic {
        board: "trading-issues",
        zh_titles: &[
            "永续仓位放着不动，钱却一直变少",
            "资金费是谁收走的",
            "资金费多久扣一次",
        ],
        en_titles: &[
            "Idle perpetual position keeps losing money",
            "Who receives the funding fee?",
            "How often is funding charged?",
        ],
        zh_bodies: &["开了个多单放了几天，账户里隔一阵就被扣一笔，明细叫资金费。"],
        en_bodies: &[
            "I left a long open for days and every few hours a small charge called funding appears.",
        ],
        zh_replies: &[
            "这笔钱是多空之间互付的，平台不赚这个。",
            "按固定时点结算，那个时刻持仓才收付。",
        ],
        en_replies: &[
            "Longs and shorts pay each other, the platform keeps none of it.",
            "It settles at fixed times and only positions open then pay or receive.",
        ],
        zh_staff: &["官方回复：资金费按固定周期结算，费率为正时由多头支付给空头，反之亦然。"],
        en_staff: &[
            "Staff: funding settles on a fixed schedule; with a positive rate longs pay shorts, and the other way round.",
        ],
    },
    Topic {
        board: "trading-issues",
        zh_titles: &[
            "P2P 对方说付了，我这边没到账",
            "P2P 申诉好几天没有进展",
            "买了币对方迟迟不放",
        ],
        en_titles: &[
            "P2P counterparty claims payment, nothing arrived",
            "My P2P dispute has not moved in days",
            "Bought coins, seller does not release",
        ],
        zh_bodies: &[
            "单号 {order}，对方点了付款完成，可我银行流水里没有这笔。",
            "提交申诉后没有任何人联系我。",
        ],
        en_bodies: &[
            "Order {order}: the other side marked it paid, my bank shows nothing.",
            "Since I opened the dispute nobody has contacted me.",
        ],
        zh_replies: &["钱没到之前千万别点放行。", "让对方上传付款回单。"],
        en_replies: &[
            "Do not release anything until the money is there.",
            "Ask the other side to upload the payment slip.",
        ],
        zh_staff: &["官方回复：客服已加入该订单，请在聊天中上传您的银行流水截图。"],
        en_staff: &[
            "Staff: an agent joined the order; please post a screenshot of your bank statement in the chat.",
        ],
    },
    Topic {
        board: "technical-support",
        zh_titles: &[
            "账户被限制了，怎么走申诉",
            "登录后提示账户有风险，不能转出",
            "账号突然被停用，里面还有资产",
        ],
        en_titles: &[
            "Account restricted: how to appeal",
            "Told my account is risky and outgoing transfers are blocked",
            "Account disabled out of nowhere, funds still inside",
        ],
        zh_bodies: &[
            "客服说我的交易触发了风控，可我只是普通买卖。",
            "能正常交易，但所有转出都被禁止了。",
        ],
        en_bodies: &[
            "Support says my trades tripped a risk rule, but I only buy and sell.",
            "Trading works, every outgoing transfer is blocked.",
        ],
        zh_replies: &[
            "准备好收入证明和交易记录再提交。",
            "我当时大概十来天才恢复。",
        ],
        en_replies: &[
            "Gather income proof and trade records before you appeal.",
            "Mine took around ten days to be lifted.",
        ],
        zh_staff: &["官方回复：请在工单中提交申诉材料，我们会在几个工作日内回复处理结果。"],
        en_staff: &[
            "Staff: please submit your documents in a ticket; we reply with a decision within a few working days.",
        ],
    },
    Topic {
        board: "technical-support",
        zh_titles: &[
            "更新后 App 打开就退出",
            "{device} 上 App 启动崩溃",
            "网页版老是把我登出",
        ],
        en_titles: &[
            "App closes right after opening since the update",
            "App crashes at launch on {device}",
            "Website keeps signing me out",
        ],
        zh_bodies: &[
            "升级到新版本后，点图标一秒就回到桌面，卸载重装也一样。",
            "网页登录没几分钟就跳回登录页。",
        ],
        en_bodies: &[
            "After the update the app returns to the home screen a second after launch, reinstalling changes nothing.",
            "The website sends me back to the login page within minutes.",
        ],
        zh_replies: &[
            "清一下应用缓存试试。",
            "如果用了会切换 IP 的代理，会被强制下线。",
        ],
        en_replies: &[
            "Try clearing the app cache.",
            "A proxy that switches your IP will sign you out.",
        ],
        zh_staff: &["官方回复：该问题已在最新版本中修复，请前往应用商店更新。"],
        en_staff: &["Staff: the newest version fixes this; please update from your app store."],
    },
    Topic {
        board: "beginners",
        zh_titles: &[
            "挂单价格到了为什么没成交",
            "市价单成交价和显示的不一样",
            "交易手续费是怎么收的",
        ],
        en_titles: &[
            "Price touched my order, still unfilled",
            "Market order filled at a worse price",
            "How are trading fees charged?",
        ],
        zh_bodies: &[
            "挂了 {amount} 的单，行情碰到那个价又走了，单子没动。",
            "小市值的币用市价买，成交价比盘口贵了不少。",
        ],
        en_bodies: &[
            "I placed an order for {amount}; the market touched my price and left, the order did not fill.",
            "A market buy on a small cap cost noticeably more than the book showed.",
        ],
        zh_replies: &[
            "同价位前面排着别人的单，要按顺序成交。",
            "深度浅的币尽量挂限价。",
        ],
        en_replies: &[
            "Others were queued at that price before you; fills go in order.",
            "On thin books, prefer limit orders.",
        ],
        zh_staff: &["官方回复：费率取决于您的用户等级，可在费率说明页查看。"],
        en_staff: &["Staff: your rate depends on your account tier; the fee page lists them."],
    },
];

const COINS: &[&str] = &["USDT", "BTC", "ETH", "SOL", "TRX", "XRP", "USDC", "ATOM"];
const NETWORKS: &[&str] = &["TRC20", "ERC20", "BEP20", "Polygon", "Arbitrum", "Solana"];
const CODES: &[&str] = &["50113", "50111", "50112", "51008", "50110", "50011"];
const DEVICES: &[&str] = &[
    "iPhone 15",
    "Android 14",
    "小米 14",
    "华为 Mate 60",
    "Pixel 8",
];
const TIMES: &[&str] = &[
    "昨天晚上",
    "今天早上",
    "this morning",
    "last night",
    "周五",
    "10:30 UTC",
];

pub const BOARDS: [&str; 3] = ["technical-support", "beginners", "trading-issues"];

/// Fills a template's `{slots}`.
fn fill(template: &str, dice: &mut Dice) -> String {
    let mut out = template.to_owned();
    let slots: [(&str, String); 10] = [
        ("{coin}", dice.pick(COINS).to_owned()),
        ("{network}", dice.pick(NETWORKS).to_owned()),
        ("{code}", dice.pick(CODES).to_owned()),
        ("{device}", dice.pick(DEVICES).to_owned()),
        ("{time}", dice.pick(TIMES).to_owned()),
        ("{hours}", (1 + dice.below(72)).to_string()),
        ("{amount}", (1 + dice.below(5000)).to_string()),
        (
            "{lev}",
            ["5", "10", "20", "50", "100"][dice.below(5) as usize].to_owned(),
        ),
        (
            "{order}",
            format!(
                "{}",
                100_000_000_000_000_000 + dice.below(900_000_000_000_000_000)
            ),
        ),
        (
            "{txid}",
            format!(
                "{:016x}{:016x}{:016x}{:016x}",
                dice.roll(),
                dice.roll(),
                dice.roll(),
                dice.roll()
            ),
        ),
    ];
    for (slot, value) in slots {
        if out.contains(slot) {
            out = out.replace(slot, &value);
        }
    }
    out
}

/// A thread's opening: its board, title and body.
pub struct Opening {
    pub board: &'static str,
    pub title: String,
    pub body: String,
    topic: usize,
    pub language: Language,
}

pub fn opening(dice: &mut Dice) -> Opening {
    let topic_index = dice.below(TOPICS.len() as u64) as usize;
    let topic = &TOPICS[topic_index];
    let language = Language::roll(dice);
    let (titles, bodies) = match language {
        Language::English => (topic.en_titles, topic.en_bodies),
        _ => (topic.zh_titles, topic.zh_bodies),
    };
    let title = fill(dice.pick(titles), dice);
    let sentences = 1 + dice.below(bodies.len() as u64);
    let mut body: Vec<String> = (0..sentences)
        .map(|_| fill(dice.pick(bodies), dice))
        .collect();
    if language == Language::Mixed {
        body.push(fill(dice.pick(topic.en_bodies), dice));
    }
    Opening {
        board: topic.board,
        title,
        body: body.join("\n\n"),
        topic: topic_index,
        language,
    }
}

/// A reply in the thread's language; a staff answer when `staff`.
pub fn reply(opening: &Opening, staff: bool, dice: &mut Dice) -> String {
    let topic = &TOPICS[opening.topic];
    let english = opening.language == Language::English
        || (opening.language == Language::Mixed && dice.chance(40));
    let pool = match (staff, english) {
        (true, true) => topic.en_staff,
        (true, false) => topic.zh_staff,
        (false, true) => topic.en_replies,
        (false, false) => topic.zh_replies,
    };
    let mut text = fill(dice.pick(pool), dice);
    if !staff && dice.chance(15) {
        text.push_str("\n\n");
        text.push_str(&fill(dice.pick(pool), dice));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_thread() {
        let (a, b) = (opening(&mut Dice::new(7)), opening(&mut Dice::new(7)));
        assert_eq!((a.title, a.body), (b.title, b.body));
    }

    #[test]
    fn templates_leave_no_slot_unfilled_and_boards_exist() {
        let mut dice = Dice::new(99);
        for _ in 0..500 {
            let o = opening(&mut dice);
            let r = reply(&o, dice.chance(30), &mut dice);
            for text in [&o.title, &o.body, &r] {
                assert!(!text.contains('{'), "{text}");
            }
            assert!(BOARDS.contains(&o.board));
            assert!((3..=150).contains(&o.title.chars().count()), "{}", o.title);
        }
    }

    #[test]
    fn languages_are_mixed_as_on_the_forum() {
        let mut dice = Dice::new(3);
        let english = (0..1000)
            .filter(|_| Language::roll(&mut dice) == Language::English)
            .count();
        assert!((120..280).contains(&english), "{english}");
    }
}
