-- Sites form a hierarchy: a centre, its stations, their kiosks. Times there are local to
-- time_zone (IANA).
CREATE TABLE sites (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    parent_id TEXT REFERENCES sites (id),
    time_zone TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX sites_by_parent ON sites (parent_id);

CREATE TABLE rooms (
    id TEXT PRIMARY KEY NOT NULL,
    site_id TEXT NOT NULL REFERENCES sites (id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    capacity INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX rooms_by_site ON rooms (site_id);

-- The taxonomy of people's mediation. Codes are part of the API; names are for display.
CREATE TABLE specialties (
    code TEXT PRIMARY KEY NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    position INTEGER NOT NULL
);
INSERT INTO specialties (code, name_zh, name_en, position) VALUES
    ('neighbour', '邻里纠纷', 'Neighbour disputes', 1),
    ('family_marriage', '婚姻家庭纠纷', 'Family and marriage', 2),
    ('labour_wages', '劳动争议与欠薪', 'Labour and unpaid wages', 3),
    ('traffic_accident', '道路交通事故', 'Traffic accidents', 4),
    ('consumer', '消费纠纷', 'Consumer disputes', 5),
    ('property_tenancy', '房产与租赁纠纷', 'Property and tenancy', 6),
    ('medical', '医疗纠纷', 'Medical disputes', 7),
    ('construction_project', '建设工程纠纷', 'Construction projects', 8),
    ('land_village', '土地与村务纠纷', 'Land and village affairs', 9),
    ('online_ecommerce', '网络与电商纠纷', 'Online and e-commerce', 10),
    ('contract_debt', '合同与债务纠纷', 'Contracts and debts', 11),
    ('property_management', '物业服务纠纷', 'Property management', 12),
    ('inheritance', '继承与赡养纠纷', 'Inheritance and elder support', 13),
    ('personal_injury', '人身损害赔偿', 'Personal injury compensation', 14),
    ('demolition_relocation', '征迁安置纠纷', 'Demolition and relocation', 15),
    ('environment_nuisance', '环境与噪声纠纷', 'Environment and noise nuisance', 16),
    ('school_campus', '校园纠纷', 'School and campus disputes', 17),
    ('finance_lending', '民间借贷与金融纠纷', 'Private lending and finance', 18);

-- A mediator's public profile, linked to one MEDIATOR account. Languages and modes are kept
-- as ',a,b,' so that one LIKE finds a member on both backends.
CREATE TABLE mediators (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL UNIQUE REFERENCES accounts (id),
    display_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    level INTEGER NOT NULL,
    languages TEXT NOT NULL,
    modes TEXT NOT NULL,
    home_site_id TEXT NOT NULL REFERENCES sites (id),
    bio TEXT NOT NULL DEFAULT '',
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX mediators_by_site ON mediators (home_site_id);

CREATE TABLE mediator_specialties (
    mediator_id TEXT NOT NULL REFERENCES mediators (id) ON DELETE CASCADE,
    specialty_code TEXT NOT NULL REFERENCES specialties (code),
    PRIMARY KEY (mediator_id, specialty_code)
);
CREATE INDEX mediator_specialties_by_code ON mediator_specialties (specialty_code, mediator_id);
