//! Synthetic but plausible text for the district: Chinese personal names drawn with the skew of
//! real surnames, station names of a county district, and short mediator bios.

use rand::Rng;

/// Common surnames, most frequent first.
const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "罗",
    "高", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田", "董", "潘", "袁", "蔡",
    "蒋", "余", "于", "杜", "叶", "程", "魏", "苏", "吕", "丁", "任", "卢", "姚", "沈", "钟", "姜", "崔", "谭", "陆",
    "范", "汪", "廖", "石", "金", "贾", "夏", "方", "邹", "熊", "孟", "秦", "邱", "侯", "江", "尹", "薛", "段", "雷",
    "龙", "史", "陶", "贺", "毛", "郝", "顾", "龚", "邵", "万", "钱", "严", "孔", "向", "汤", "应", "翁", "竺", "虞",
];

const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "秀", "英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
    "霞", "平", "刚", "桂", "兰", "建", "华", "文", "玲", "红", "国", "志", "海", "波", "宁", "辉", "晓", "燕", "鹏",
    "斌", "俊", "丹", "萍", "鑫", "婷", "雪", "琳", "慧", "宇", "浩", "凯", "亮", "林", "晨", "欣", "颖", "佳", "瑞",
    "荣", "春", "德", "福", "立", "新", "永", "忠", "云", "峰", "松", "梅", "珍", "素", "琴", "振", "东", "良", "成",
];

const PLACES: &[&str] = &[
    "中河",
    "钟公庙",
    "首南",
    "下应",
    "潘火",
    "东柳",
    "明楼",
    "百丈",
    "东胜",
    "白鹤",
    "福明",
    "东郊",
    "新城",
    "邱隘",
    "五乡",
    "东吴",
    "咸祥",
    "瞻岐",
    "塘溪",
    "横溪",
    "姜山",
    "云龙",
    "洞桥",
    "鄞江",
    "章水",
    "龙观",
    "古林",
    "高桥",
    "集士港",
    "石碶",
];

const BACKGROUNDS: &[&str] = &[
    "退休法官",
    "社区民警",
    "执业律师",
    "专职人民调解员",
    "村委会老主任",
    "心理咨询师",
    "工会干部",
    "退休教师",
    "医院医务科退休主任",
    "建筑工程师",
    "消费者协会工作人员",
    "司法所退休干部",
];

const STYLES: &[&str] = &[
    "善于倾听，注重情理法结合",
    "熟悉相关法律法规，讲解耐心",
    "处事公道，群众口碑好",
    "会讲宁波话，沟通无障碍",
    "擅长化解积怨较深的矛盾",
    "注重协议的可履行性",
];

/// Index into a list of `len`, skewed towards the front as surname frequencies are.
fn skewed(rng: &mut impl Rng, len: usize) -> usize {
    let u: f64 = rng.r#gen();
    ((u * u) * len as f64) as usize % len
}

/// A surname and a one- or two-character given name.
pub fn person(rng: &mut impl Rng) -> String {
    let mut name = SURNAMES[skewed(rng, SURNAMES.len())].to_owned();
    let chars = if rng.gen_bool(0.35) { 1 } else { 2 };
    for _ in 0..chars {
        name.push_str(GIVEN[rng.gen_range(0..GIVEN.len())]);
    }
    name
}

/// The `i`-th station of the district (0-based); numbered once the place names run out.
pub fn station(i: usize) -> String {
    let place = PLACES[i % PLACES.len()];
    match i / PLACES.len() {
        0 => format!("{place}派出所"),
        round => format!("{place}第{}派出所", round + 1),
    }
}

/// A bio of one or two sentences naming the mediator's specialities (by their Chinese names).
pub fn bio(rng: &mut impl Rng, specialities: &[&str]) -> String {
    let background = BACKGROUNDS[rng.gen_range(0..BACKGROUNDS.len())];
    let style = STYLES[rng.gen_range(0..STYLES.len())];
    let years = rng.gen_range(3..=30);
    format!("{background}，从事{}调解{years}年，{style}。", specialities.join("、"))
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    #[test]
    fn names_look_chinese() {
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..200 {
            let name = person(&mut rng);
            assert!((2..=3).contains(&name.chars().count()), "{name}");
        }
    }

    #[test]
    fn stations_are_distinct() {
        let names: std::collections::HashSet<String> = (0..100).map(station).collect();
        assert_eq!(names.len(), 100);
        assert_eq!(station(0), "中河派出所");
    }

    #[test]
    fn bios_name_the_specialities() {
        let mut rng = StdRng::seed_from_u64(7);
        let text = bio(&mut rng, &["邻里纠纷", "医疗纠纷"]);
        assert!(text.contains("邻里纠纷、医疗纠纷"), "{text}");
        assert!(text.chars().count() < 80, "{text}");
    }
}
