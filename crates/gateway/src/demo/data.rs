//! The demo district's tables: stations, the centre's rooms, the mediators and their working
//! hours. Ids derive from the rows (slugs, row numbers), so rows are only ever appended.

use chrono::Weekday::{self, Fri, Mon, Thu, Tue, Wed};
use mediation_directory::domain::{MediatorKind, Mode, RoomKind};

/// A police station, its kiosk and the seats of its mediation rooms. The slug makes the ids.
pub(super) struct StationSeed {
    pub slug: &'static str,
    /// The place name: `中河` becomes `中河派出所`.
    pub name: &'static str,
    pub address: &'static str,
    pub lat: f64,
    pub lng: f64,
    pub kiosk_address: &'static str,
    pub mediation_seats: &'static [i32],
}

const fn station(
    slug: &'static str,
    name: &'static str,
    address: &'static str,
    (lat, lng): (f64, f64),
    kiosk_address: &'static str,
    mediation_seats: &'static [i32],
) -> StationSeed {
    StationSeed { slug, name, address, lat, lng, kiosk_address, mediation_seats }
}

/// The district's 24 stations; the first is the demo station (its admin, mediator and kiosk
/// are the printed logins). One row a line: a table reads better than rustfmt's layout here.
#[rustfmt::skip]
pub(super) const STATIONS: &[StationSeed] = &[
    station("zhonghe", "中河", "宁波市鄞州区中河街道天童南路588号", (29.8415, 121.5532), "中河街道嵩江中路与天童南路口", &[8, 4]),
    station("zhonggongmiao", "钟公庙", "宁波市鄞州区钟公庙街道泰康中路420号", (29.8240, 121.5300), "钟公庙街道鄞县大道与泰康中路口", &[6, 4]),
    station("xiaying", "下应", "宁波市鄞州区下应街道海晏北路766号", (29.8300, 121.5920), "下应街道湾底村文化广场", &[6]),
    station("shounan", "首南", "宁波市鄞州区首南街道首南中路299号", (29.8090, 121.5450), "首南街道学府路与首南中路口", &[6, 4]),
    station("dongsheng", "东胜", "宁波市鄞州区东胜街道中山东路1285号", (29.8700, 121.5760), "东胜街道中山东路与宁东路口", &[8, 4]),
    station("baihe", "白鹤", "宁波市鄞州区白鹤街道曙光路88号", (29.8660, 121.5640), "白鹤街道百丈东路与曙光路口", &[6]),
    station("minglou", "明楼", "宁波市鄞州区明楼街道惊驾路560号", (29.8640, 121.5870), "明楼街道中兴路与惊驾路口", &[6]),
    station("baizhang", "百丈", "宁波市鄞州区百丈街道百丈东路905号", (29.8750, 121.5680), "百丈街道七塔寺广场", &[6]),
    station("dongliu", "东柳", "宁波市鄞州区东柳街道王隘路155号", (29.8800, 121.5830), "东柳街道华严街与王隘路口", &[6]),
    station("fuming", "福明", "宁波市鄞州区福明街道福明路818号", (29.8850, 121.6010), "福明街道宁穿路与福明路口", &[6, 4]),
    station("xinming", "新明", "宁波市鄞州区新明街道宁东路1690号", (29.8930, 121.6150), "新明街道河清北路与宁东路口", &[6]),
    station("dongjiao", "东郊", "宁波市鄞州区东郊街道宁穿路2088号", (29.8760, 121.6250), "东郊街道东郊路与宁穿路口", &[6]),
    station("panhuo", "潘火", "宁波市鄞州区潘火街道金源路210号", (29.8180, 121.6180), "潘火街道四明东路与金源路口", &[8, 4]),
    station("qiuai", "邱隘", "宁波市鄞州区邱隘镇盛莫路388号", (29.8560, 121.6420), "邱隘镇回龙村公交枢纽", &[8, 4]),
    station("wuxiang", "五乡", "宁波市鄞州区五乡镇明伦街99号", (29.8490, 121.7110), "五乡镇五乡中路农贸市场", &[6]),
    station("baochuang", "宝幢", "宁波市鄞州区宝幢宝同路66号", (29.8760, 121.7230), "宝幢宝同路公交站", &[4]),
    station("dongwu", "东吴", "宁波市鄞州区东吴镇东吴大道128号", (29.7950, 121.7420), "东吴镇天童寺景区停车场", &[4]),
    station("xianxiang", "咸祥", "宁波市鄞州区咸祥镇咸一路56号", (29.6650, 121.7780), "咸祥镇渔港码头", &[4]),
    station("zhanqi", "瞻岐", "宁波市鄞州区瞻岐镇瞻岐大道200号", (29.7020, 121.7620), "瞻岐镇东城村文化礼堂", &[4]),
    station("tangxi", "塘溪", "宁波市鄞州区塘溪镇塘溪路108号", (29.7340, 121.7180), "塘溪镇梅溪水库游客中心", &[4]),
    station("hengxi", "横溪", "宁波市鄞州区横溪镇横溪中路166号", (29.7320, 121.6080), "横溪镇金峨路农贸市场", &[6]),
    station("jiangshan", "姜山", "宁波市鄞州区姜山镇景江路288号", (29.7650, 121.5460), "姜山镇工业园区服务中心", &[8, 4]),
    station("yunlong", "云龙", "宁波市鄞州区云龙镇云龙路518号", (29.7880, 121.6560), "云龙镇甲村公交站", &[6]),
    station("yinjiang", "鄞江", "宁波市鄞州区鄞江镇光溪路99号", (29.7850, 121.3950), "鄞江镇它山堰景区入口", &[4]),
];

/// The flagship's rooms at the centre, from the seed: mediation rooms of several sizes, a
/// case-triage room, a video-liaison room and an advisers' room. (id suffix, name, kind, seats)
pub(super) const CENTRE_ROOMS: &[(&str, &str, RoomKind, i32)] = &[
    ("mediation-1", "老潘警调工作室·联合调解大厅", RoomKind::Mediation, 20),
    ("mediation-2", "老潘警调工作室·中调解室", RoomKind::Mediation, 10),
    ("mediation-3", "老潘警调工作室·小调解室一", RoomKind::Mediation, 4),
    ("mediation-4", "老潘警调工作室·小调解室二", RoomKind::Mediation, 4),
    ("mediation-5", "老潘警调工作室·家事调解室", RoomKind::Mediation, 6),
    ("triage", "老潘警调工作室·案件分流室", RoomKind::Triage, 6),
    ("video", "老潘警调工作室·视频联络室", RoomKind::Video, 8),
    ("advisory", "老潘警调工作室·顾问议事室", RoomKind::Advisory, 12),
];

/// Where a mediator is based: the centre, or a station by slug.
#[derive(Clone, Copy)]
pub(super) enum Home {
    Centre,
    Station(&'static str),
}

pub(super) struct MediatorSeed {
    pub home: Home,
    pub name: &'static str,
    pub kind: MediatorKind,
    pub level: i32,
    pub specialties: &'static [&'static str],
    pub languages: &'static [&'static str],
    pub modes: &'static [Mode],
    pub bio: &'static str,
}

const fn m(
    home: Home,
    name: &'static str,
    kind: MediatorKind,
    level: i32,
    specialties: &'static [&'static str],
    (languages, modes): (&'static [&'static str], &'static [Mode]),
    bio: &'static str,
) -> MediatorSeed {
    MediatorSeed { home, name, kind, level, specialties, languages, modes, bio }
}

use Home::{Centre, Station as At};
const STATION: MediatorKind = MediatorKind::StationMediator;
const LIAISON: MediatorKind = MediatorKind::PoliceLiaison;
const EXPERT: MediatorKind = MediatorKind::ThinkTankExpert;
const PARTNER: MediatorKind = MediatorKind::PartnerMediator;

const ZH: &[&str] = &["zh"];
/// `wuu`: Wu Chinese, for mediators who speak the Ningbo dialect.
const ZH_WUU: &[&str] = &["zh", "wuu"];
const ZH_EN: &[&str] = &["zh", "en"];
const ZH_WUU_EN: &[&str] = &["zh", "wuu", "en"];
const ROOM: &[Mode] = &[Mode::InPerson];
const ROOM_VIDEO: &[Mode] = &[Mode::InPerson, Mode::Video];
const ALL_MODES: &[Mode] = &[Mode::InPerson, Mode::Video, Mode::HomeVisit];

/// The mediators. Row N becomes `mediator-00N` with login `mediator.00N`, so rows are only
/// ever appended: reordering them would move profiles between accounts.
#[rustfmt::skip]
pub(super) const MEDIATORS: &[MediatorSeed] = &[
    // Station mediators: two in each station's 警调衔接室, for ordinary disputes on the spot.
    m(At("zhonghe"), "陈海芬", STATION, 4, &["neighbour", "family_marriage", "property_management"], (ZH_WUU, ALL_MODES), "在中河街道做了二十年社区工作，驻所调解室首批调解员，擅长当面化解邻里和家庭矛盾。"),
    m(At("zhonghe"), "周立军", STATION, 3, &["traffic_accident", "consumer", "contract_debt"], (ZH, ROOM_VIDEO), "退役军人，专注交通事故和消费纠纷的当场调处，讲求快、准、公道。"),
    m(At("zhonggongmiao"), "林美华", STATION, 3, &["neighbour", "property_tenancy", "property_management"], (ZH_WUU, ALL_MODES), "熟悉钟公庙各小区的物业情况，常年处理租房押金和物业费纠纷。"),
    m(At("zhonggongmiao"), "徐志刚", STATION, 2, &["traffic_accident", "personal_injury"], (ZH, ROOM_VIDEO), "曾做过交警辅警，了解事故责任认定流程，帮双方把赔偿账算清楚。"),
    m(At("xiaying"), "胡国平", STATION, 4, &["land_village", "demolition_relocation", "neighbour"], (ZH_WUU, ALL_MODES), "原村委会主任，熟悉村务与征迁政策，善用宁波话拉家常化解积怨。"),
    m(At("xiaying"), "张丽萍", STATION, 2, &["family_marriage", "inheritance"], (ZH, ALL_MODES), "社工出身，擅长婚姻家庭与赡养纠纷，注重保护当事人隐私。"),
    m(At("shounan"), "李晓东", STATION, 3, &["property_management", "property_tenancy", "online_ecommerce"], (ZH_EN, ROOM_VIDEO), "首南新城小区多，长期调处物业与租赁纠纷，也处理网购退款争议，可用英语沟通。"),
    m(At("shounan"), "吴佩佩", STATION, 2, &["school_campus", "neighbour"], (ZH, ROOM_VIDEO), "曾任小学德育老师，擅长校园与邻里纠纷的沟通疏导。"),
    m(At("dongsheng"), "朱永康", STATION, 5, &["neighbour", "contract_debt", "finance_lending"], (ZH_WUU, ALL_MODES), "从事人民调解二十余年的首席调解员，老城区疑难邻里与借贷纠纷经验丰富。"),
    m(At("dongsheng"), "俞红霞", STATION, 3, &["family_marriage", "inheritance", "neighbour"], (ZH_WUU, ALL_MODES), "耐心细致，擅长老小区的家庭与赡养纠纷，常上门调解。"),
    m(At("baihe"), "孙卫东", STATION, 3, &["traffic_accident", "labour_wages"], (ZH, ROOM_VIDEO), "外卖骑手交通事故与工资纠纷处理得多，熟悉相关赔偿标准。"),
    m(At("baihe"), "邵雅琴", STATION, 2, &["neighbour", "environment_nuisance"], (ZH_WUU, ALL_MODES), "专注噪声、油烟、漏水等邻里纠纷，先到现场看，再坐下来谈。"),
    m(At("minglou"), "蒋德明", STATION, 4, &["property_tenancy", "contract_debt", "neighbour"], (ZH_WUU, ROOM_VIDEO), "退休法官助理，熟悉合同与租赁法律，说理清楚。"),
    m(At("minglou"), "沈丹", STATION, 1, &["consumer", "online_ecommerce"], (ZH_EN, ROOM_VIDEO), "年轻调解员，擅长网购、直播带货和预付卡消费纠纷。"),
    m(At("baizhang"), "史国华", STATION, 3, &["neighbour", "property_management", "environment_nuisance"], (ZH_WUU, ALL_MODES), "百丈老居民，熟悉社区网格，擅长邻里与物业矛盾。"),
    m(At("baizhang"), "屠晓燕", STATION, 2, &["family_marriage", "school_campus"], (ZH, ROOM_VIDEO), "心理咨询师，擅长家庭与亲子矛盾的情绪疏导。"),
    m(At("dongliu"), "毛建平", STATION, 3, &["labour_wages", "contract_debt"], (ZH, ROOM_VIDEO), "曾在企业人力资源部门工作，熟悉劳动合同与欠薪处理。"),
    m(At("dongliu"), "董芳", STATION, 2, &["neighbour", "property_tenancy"], (ZH_WUU, ALL_MODES), "东柳社区调委会委员，处理房屋出租与邻里纠纷。"),
    m(At("fuming"), "袁志强", STATION, 4, &["traffic_accident", "personal_injury", "consumer"], (ZH, ROOM_VIDEO), "驻所多年，每年调处交通事故与人身损害纠纷数百起。"),
    m(At("fuming"), "虞亚飞", STATION, 2, &["online_ecommerce", "finance_lending"], (ZH_EN, ROOM_VIDEO), "熟悉网络支付与小额借贷，帮当事人理清转账记录和证据。"),
    m(At("xinming"), "傅海燕", STATION, 3, &["property_management", "neighbour", "family_marriage"], (ZH, ALL_MODES), "东部新城片区调解员，擅长新建小区的物业与邻里纠纷。"),
    m(At("xinming"), "鲍俊杰", STATION, 2, &["construction_project", "labour_wages"], (ZH, ROOM_VIDEO), "熟悉工地用工和工程款结算，常协助农民工讨薪。"),
    m(At("dongjiao"), "竺玉芬", STATION, 3, &["neighbour", "inheritance", "land_village"], (ZH_WUU, ALL_MODES), "城乡结合部的老调解员，熟悉村居事务与继承纠纷。"),
    m(At("dongjiao"), "贺文斌", STATION, 2, &["traffic_accident", "consumer"], (ZH, ROOM_VIDEO), "处理电动车事故和商场消费纠纷，对接保险理赔。"),
    m(At("panhuo"), "邬建华", STATION, 4, &["labour_wages", "personal_injury", "contract_debt"], (ZH_WUU, ROOM_VIDEO), "潘火企业集中，擅长劳动争议和工伤赔偿纠纷。"),
    m(At("panhuo"), "忻雪梅", STATION, 2, &["property_tenancy", "neighbour"], (ZH, ALL_MODES), "熟悉群租房管理，处理租客与房东之间的纠纷。"),
    m(At("qiuai"), "柴国良", STATION, 4, &["labour_wages", "construction_project", "traffic_accident"], (ZH_WUU, ROOM_VIDEO), "邱隘外来务工人员多，常年调处欠薪、工地和交通事故纠纷。"),
    m(At("qiuai"), "戴秀娟", STATION, 3, &["family_marriage", "neighbour"], (ZH_WUU, ALL_MODES), "妇女主任出身，擅长婆媳、夫妻矛盾，讲宁波话拉近距离。"),
    m(At("wuxiang"), "范志明", STATION, 3, &["land_village", "neighbour", "demolition_relocation"], (ZH_WUU, ALL_MODES), "熟悉五乡各村宅基地和征迁安置情况。"),
    m(At("wuxiang"), "翁丽君", STATION, 2, &["family_marriage", "inheritance"], (ZH_WUU, ALL_MODES), "擅长老人赡养和遗产分割的家庭调解。"),
    m(At("baochuang"), "叶长根", STATION, 3, &["land_village", "environment_nuisance"], (ZH_WUU, ALL_MODES), "处理山林承包、养殖污染等农村纠纷。"),
    m(At("baochuang"), "汪秋菊", STATION, 1, &["neighbour", "family_marriage"], (ZH_WUU, ALL_MODES), "跟班学习的新调解员，“小潘”培养对象。"),
    m(At("dongwu"), "钱永福", STATION, 4, &["land_village", "demolition_relocation", "contract_debt"], (ZH_WUU, ALL_MODES), "东吴老支书，熟悉村务和土地流转合同。"),
    m(At("dongwu"), "何小红", STATION, 2, &["neighbour", "family_marriage"], (ZH_WUU, ALL_MODES), "擅长邻里口角和家庭琐事的就地化解。"),
    m(At("xianxiang"), "夏海波", STATION, 3, &["land_village", "environment_nuisance", "contract_debt"], (ZH_WUU, ALL_MODES), "咸祥沿海渔区调解员，熟悉渔船、滩涂承包与养殖纠纷。"),
    m(At("xianxiang"), "楼菊芬", STATION, 2, &["family_marriage", "inheritance", "neighbour"], (ZH_WUU, ALL_MODES), "常年上门调解行动不便的老人家庭纠纷。"),
    m(At("zhanqi"), "金伟明", STATION, 3, &["land_village", "construction_project"], (ZH_WUU, ALL_MODES), "熟悉农村自建房施工和村级工程纠纷。"),
    m(At("zhanqi"), "裘巧儿", STATION, 1, &["neighbour", "family_marriage"], (ZH_WUU, ALL_MODES), "新入职调解员，在老潘警调工作室轮训结业。"),
    m(At("tangxi"), "方根宝", STATION, 3, &["land_village", "neighbour", "inheritance"], (ZH_WUU, ALL_MODES), "山区老调解员，擅长宅基地、山界和继承纠纷。"),
    m(At("tangxi"), "严梅英", STATION, 2, &["family_marriage", "neighbour"], (ZH_WUU, ALL_MODES), "熟悉留守老人和留守儿童家庭情况。"),
    m(At("hengxi"), "施国强", STATION, 3, &["land_village", "environment_nuisance", "labour_wages"], (ZH_WUU, ALL_MODES), "处理矿山、水库周边的村企纠纷和用工纠纷。"),
    m(At("hengxi"), "包雅芳", STATION, 2, &["neighbour", "family_marriage"], (ZH_WUU, ALL_MODES), "擅长邻里和家庭纠纷，调解细致有耐心。"),
    m(At("jiangshan"), "许建军", STATION, 4, &["labour_wages", "traffic_accident", "contract_debt"], (ZH_WUU, ROOM_VIDEO), "姜山工业区的资深调解员，劳资纠纷调处经验丰富。"),
    m(At("jiangshan"), "应彩霞", STATION, 3, &["family_marriage", "neighbour", "inheritance"], (ZH_WUU, ALL_MODES), "擅长家庭与继承纠纷，常与村妇联协同调解。"),
    m(At("yunlong"), "郑学林", STATION, 3, &["land_village", "demolition_relocation"], (ZH_WUU, ALL_MODES), "熟悉云龙征迁项目和安置政策。"),
    m(At("yunlong"), "杨美娟", STATION, 2, &["neighbour", "consumer"], (ZH, ALL_MODES), "处理邻里和农村集市消费纠纷。"),
    m(At("yinjiang"), "陈阿福", STATION, 4, &["land_village", "neighbour", "environment_nuisance"], (ZH_WUU, ALL_MODES), "鄞江古镇的老调解员，熟悉山林、水利和宅基地纠纷。"),
    m(At("yinjiang"), "王巧玲", STATION, 2, &["family_marriage", "inheritance"], (ZH_WUU, ALL_MODES), "擅长家庭和赡养纠纷，常上门到偏远山村。"),
    // Police liaisons: officers who hand 110 dispute calls to the mediation rooms.
    m(Centre, "周浩", LIAISON, 4, &["neighbour", "traffic_accident", "personal_injury"], (ZH, ROOM_VIDEO), "分局警调衔接联络警官，负责110纠纷警情的移交和前置评估。"),
    m(At("zhonghe"), "李俊", LIAISON, 3, &["neighbour", "consumer"], (ZH, ROOM), "中河派出所社区民警，把纠纷警情移交警调衔接室并跟踪回访。"),
    m(At("panhuo"), "张伟", LIAISON, 3, &["labour_wages", "traffic_accident"], (ZH, ROOM), "潘火派出所民警，处置劳资冲突和交通事故警情。"),
    m(At("fuming"), "陈晨", LIAISON, 2, &["traffic_accident", "online_ecommerce"], (ZH_EN, ROOM_VIDEO), "福明派出所民警，处置网络交易和交通事故类警情。"),
    m(At("jiangshan"), "王磊", LIAISON, 3, &["land_village", "neighbour"], (ZH_WUU, ROOM), "姜山派出所社区民警，熟悉辖区各村情况。"),
    m(At("qiuai"), "胡斌", LIAISON, 2, &["labour_wages", "personal_injury"], (ZH, ROOM), "邱隘派出所民警，处置工地和企业用工纠纷警情。"),
    // Think-tank experts at the centre, for difficult disputes, in person or by video.
    m(Centre, "蔡明德", EXPERT, 5, &["family_marriage", "inheritance", "property_tenancy"], (ZH_WUU, ROOM_VIDEO), "退休法官，从事民事审判三十年，擅长婚姻家庭与继承的疑难纠纷。"),
    m(Centre, "吕晓岚", EXPERT, 5, &["medical", "personal_injury"], (ZH_EN, ROOM_VIDEO), "主任医师，医疗纠纷专家库成员，能从医学角度解释诊疗经过。"),
    m(Centre, "姚振宇", EXPERT, 4, &["construction_project", "demolition_relocation", "property_tenancy"], (ZH, ROOM_VIDEO), "高级工程师，熟悉工程造价和质量鉴定，参与多起工程款纠纷调处。"),
    m(Centre, "谢文静", EXPERT, 4, &["labour_wages", "personal_injury"], (ZH_EN, ROOM_VIDEO), "执业律师，劳动法方向，擅长工伤和群体性欠薪纠纷的法律释明。"),
    m(Centre, "罗建新", EXPERT, 4, &["finance_lending", "contract_debt"], (ZH, ROOM_VIDEO), "注册会计师，擅长民间借贷和合伙账目清算类纠纷。"),
    m(Centre, "韩雪", EXPERT, 3, &["online_ecommerce", "consumer"], (ZH_EN, ROOM_VIDEO), "高校电子商务讲师，熟悉平台规则、直播带货与网络交易纠纷。"),
    m(Centre, "冯国庆", EXPERT, 4, &["school_campus", "family_marriage"], (ZH, ROOM_VIDEO), "心理学副教授、心理咨询师，擅长校园纠纷和家庭矛盾的心理疏导。"),
    m(Centre, "曹永年", EXPERT, 5, &["land_village", "demolition_relocation", "environment_nuisance"], (ZH_WUU, ROOM_VIDEO), "原镇政府分管领导，熟悉土地政策、征迁安置和村务管理。"),
    m(Centre, "彭丽", EXPERT, 4, &["environment_nuisance", "property_management"], (ZH, ROOM_VIDEO), "环保工程师，对噪声、油烟、污水问题能给出专业意见。"),
    m(Centre, "任海涛", EXPERT, 3, &["traffic_accident", "personal_injury"], (ZH, ROOM_VIDEO), "司法鉴定人，熟悉伤残等级评定和交通事故损害赔偿计算。"),
    // Partner mediators from the bodies that join major disputes.
    m(Centre, "刘春燕", PARTNER, 4, &["family_marriage", "inheritance", "contract_debt"], (ZH_WUU, ROOM_VIDEO), "区人民法院诉前调解员，负责重大纠纷的诉调对接与司法确认。"),
    m(Centre, "黄国伟", PARTNER, 4, &["labour_wages", "construction_project"], (ZH, ROOM_VIDEO), "区总工会劳动争议调解员，参与欠薪和劳资群体性纠纷的联合调解。"),
    m(Centre, "马晓红", PARTNER, 3, &["family_marriage", "school_campus"], (ZH_WUU, ALL_MODES), "区妇联婚姻家庭纠纷调解员，关注妇女儿童权益保护。"),
    m(Centre, "赵志华", PARTNER, 3, &["consumer", "online_ecommerce"], (ZH, ROOM_VIDEO), "区消费者权益保护委员会调解员，处理群体性消费投诉。"),
    m(Centre, "孔德胜", PARTNER, 4, &["medical", "personal_injury"], (ZH, ROOM_VIDEO), "市医疗纠纷人民调解委员会驻区调解员。"),
    m(Centre, "魏明", PARTNER, 3, &["traffic_accident", "personal_injury", "finance_lending"], (ZH, ROOM_VIDEO), "道路交通事故人民调解委员会调解员，对接保险理赔。"),
    m(Centre, "潘美玲", PARTNER, 3, &["property_management", "property_tenancy"], (ZH_WUU, ROOM_VIDEO), "区物业管理行业协会调解员，处理物业服务合同纠纷。"),
    m(Centre, "江海", PARTNER, 4, &["finance_lending", "contract_debt"], (ZH_WUU_EN, ROOM_VIDEO), "金融纠纷调解中心调解员，处理银行卡、保险和民间借贷纠纷。"),
];

/// `hour:minute` as minutes after local midnight, the unit of a weekly rule.
const fn hm(hour: u32, minute: u32) -> u32 {
    hour * 60 + minute
}

pub(super) const WEEKDAYS: &[Weekday] = &[Mon, Tue, Wed, Thu, Fri];

/// A station's sessions on a weekday, with the lunch break between them: 08:30–12:00 and
/// 13:30–17:30 in the site's local time. Station mediators and police liaisons keep them.
pub(super) const STATION_SESSIONS: &[(u32, u32)] = &[(hm(8, 30), hm(12, 0)), (hm(13, 30), hm(17, 30))];

/// Stations whose rooms also open on Saturday mornings: the busiest town-centre and
/// industrial-park ones.
pub(super) const SATURDAY_STATIONS: &[&str] = &["zhonghe", "dongsheng", "fuming", "panhuo", "qiuai", "jiangshan"];

/// The Saturday-morning session at those stations: 09:00–12:00.
pub(super) const SATURDAY_SESSION: (u32, u32) = (hm(9, 0), hm(12, 0));

/// A day at the centre for a think-tank expert or a partner mediator: 09:00–17:00.
pub(super) const CENTRE_SESSION: (u32, u32) = (hm(9, 0), hm(17, 0));

/// The weekdays each think-tank expert (two or three) and partner mediator (one or two) sits
/// at the centre, by name. Every weekday has five experts and two or three partners.
#[rustfmt::skip]
pub(super) const CENTRE_DAYS: &[(&str, &[Weekday])] = &[
    // Think-tank experts.
    ("蔡明德", &[Mon, Wed, Fri]),
    ("吕晓岚", &[Tue, Thu]),
    ("姚振宇", &[Mon, Thu]),
    ("谢文静", &[Tue, Wed, Fri]),
    ("罗建新", &[Mon, Wed]),
    ("韩雪", &[Tue, Fri]),
    ("冯国庆", &[Wed, Thu, Fri]),
    ("曹永年", &[Mon, Tue, Thu]),
    ("彭丽", &[Wed, Fri]),
    ("任海涛", &[Mon, Tue, Thu]),
    // Partner mediators, seconded by their bodies.
    ("刘春燕", &[Tue, Thu]),
    ("黄国伟", &[Wed]),
    ("马晓红", &[Mon, Fri]),
    ("赵志华", &[Thu]),
    ("孔德胜", &[Tue]),
    ("魏明", &[Mon, Wed]),
    ("潘美玲", &[Fri]),
    ("江海", &[Thu]),
];
