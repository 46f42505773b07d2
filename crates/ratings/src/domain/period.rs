//! The period an assessment covers: a month or a quarter of a year.

use chrono::NaiveDate;

/// A month (1..12) or a quarter (1..4) of a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Month { year: i32, month: u32 },
    Quarter { year: i32, quarter: u32 },
}

impl Period {
    pub fn months(self) -> i64 {
        match self {
            Period::Month { .. } => 1,
            Period::Quarter { .. } => 3,
        }
    }

    /// Its first day and the first day after it.
    pub fn dates(self) -> (NaiveDate, NaiveDate) {
        let (year, first_month, months) = match self {
            Period::Month { year, month } => (year, month, 1),
            Period::Quarter { year, quarter } => (year, quarter * 3 - 2, 3),
        };
        let start = NaiveDate::from_ymd_opt(year, first_month, 1).expect("validated period");
        let end_month = first_month + months;
        let end = if end_month > 12 {
            NaiveDate::from_ymd_opt(year + 1, end_month - 12, 1)
        } else {
            NaiveDate::from_ymd_opt(year, end_month, 1)
        }
        .expect("validated period");
        (start, end)
    }

    /// `2026-03` or `2026-Q1`, as the payroll export names it.
    pub fn label(self) -> String {
        match self {
            Period::Month { year, month } => format!("{year}-{month:02}"),
            Period::Quarter { year, quarter } => format!("{year}-Q{quarter}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(Period::Month { year: 2026, month: 12 }.dates(), (d(2026, 12, 1), d(2027, 1, 1)));
        assert_eq!(Period::Quarter { year: 2026, quarter: 4 }.dates(), (d(2026, 10, 1), d(2027, 1, 1)));
        assert_eq!(Period::Quarter { year: 2026, quarter: 1 }.dates(), (d(2026, 1, 1), d(2026, 4, 1)));
        assert_eq!(Period::Quarter { year: 2026, quarter: 1 }.months(), 3);
    }

    #[test]
    fn labels() {
        assert_eq!(Period::Month { year: 2026, month: 3 }.label(), "2026-03");
        assert_eq!(Period::Quarter { year: 2026, quarter: 1 }.label(), "2026-Q1");
    }
}
