//! The boards every new forum starts with (PRODUCT.md, "The boards").

/// A board as it is seeded on first start; admins can add more later.
pub struct DefaultBoard {
    pub slug: &'static str,
    pub name: &'static str,
    pub description_zh: &'static str,
    pub description_en: &'static str,
}

pub const DEFAULT_BOARDS: [DefaultBoard; 3] = [
    DefaultBoard {
        slug: "technical-support",
        name: "技术支持 · Technical support",
        description_zh: "App、网站、API 和账户登录问题",
        description_en: "app, website, API and account-access problems",
    },
    DefaultBoard {
        slug: "beginners",
        name: "新手入门 · Beginners",
        description_zh: "第一步：注册、KYC、充值、第一笔交易",
        description_en: "first steps: registration, KYC, deposits, first trade",
    },
    DefaultBoard {
        slug: "trading-issues",
        name: "交易问题 · Trading issues",
        description_zh: "订单、手续费、合约、杠杆、P2P",
        description_en: "orders, fees, futures, margin, P2P",
    },
];

/// Which threads a board list shows (`?filter=`). "Unanswered" is the staff's work queue:
/// no staff answer yet and not solved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ThreadFilter {
    #[default]
    All,
    Unanswered,
    StaffAnswered,
    Solved,
}

impl ThreadFilter {
    /// The filter named in a URL; `None` for a name we do not know.
    pub fn parse(raw: Option<&str>) -> Option<Self> {
        match raw.unwrap_or("") {
            "" | "all" => Some(ThreadFilter::All),
            "unanswered" => Some(ThreadFilter::Unanswered),
            "staff-answered" => Some(ThreadFilter::StaffAnswered),
            "solved" => Some(ThreadFilter::Solved),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ThreadFilter::All => "all",
            ThreadFilter::Unanswered => "unanswered",
            ThreadFilter::StaffAnswered => "staff-answered",
            ThreadFilter::Solved => "solved",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_round_trip_and_unknown_ones_are_refused() {
        for f in [
            ThreadFilter::All,
            ThreadFilter::Unanswered,
            ThreadFilter::StaffAnswered,
            ThreadFilter::Solved,
        ] {
            assert_eq!(ThreadFilter::parse(Some(f.as_str())), Some(f));
        }
        assert_eq!(ThreadFilter::parse(None), Some(ThreadFilter::All));
        assert_eq!(ThreadFilter::parse(Some("nope")), None);
    }
}
