//! The hand-written vocabulary the synthetic catalogue draws from: product kinds, each filed
//! under a real leaf of the Google taxonomy, with nouns, brands, attributes and a price band.
//!
//! Every entry is written here for daihuo; brand names are real so that search and facets
//! behave as they would on a real pool, but every product, price and barcode built from them is
//! invented. A unit test checks that each `category_id` exists, is a leaf, and is named
//! `category_leaf`.

/// A word or phrase in Chinese and in English, in that order.
pub(crate) type Words = (&'static str, &'static str);

/// One attribute of a kind, such as colour or capacity, and the values it takes.
pub(crate) struct Attribute {
    /// The attribute's name, e.g. (颜色, Colour).
    pub key: Words,
    /// The values, cheapest first when `price_step_percent` is not zero.
    pub values: &'static [Words],
    /// How much the retail price rises, in percent of the base, per step along `values`
    /// (0: every value costs the same, as colours usually do).
    pub price_step_percent: u32,
}

/// A kind of product, e.g. the inverter air conditioner, with everything needed to invent SPUs
/// of it.
pub(crate) struct Kind {
    /// The Google taxonomy leaf its SKUs are filed under.
    pub category_id: u32,
    /// The name of that leaf, for the reader and for the test that checks it against the
    /// taxonomy; nothing else reads it.
    #[cfg_attr(not(test), allow(dead_code))]
    pub category_leaf: &'static str,
    /// What the product is called in a title; an SPU uses one.
    pub nouns: &'static [Words],
    /// Plausible brands for it, Chinese and international.
    pub brands: &'static [Words],
    /// Attributes in title order. SKUs of one SPU differ in the last attribute first.
    pub attributes: &'static [Attribute],
    /// The range of an SPU's base retail price, in whole yuan, inclusive.
    pub retail_yuan: (u32, u32),
    /// The range of the anchor commission, in basis points, inclusive.
    pub commission_bps: (u32, u32),
}

/// An attribute whose values all cost the same.
const fn attr(key: Words, values: &'static [Words]) -> Attribute {
    Attribute {
        key,
        values,
        price_step_percent: 0,
    }
}

/// An attribute whose later values cost `price_step_percent` more per step.
const fn tiered(key: Words, price_step_percent: u32, values: &'static [Words]) -> Attribute {
    Attribute {
        key,
        values,
        price_step_percent,
    }
}

const COLOUR: Words = ("颜色", "Colour");
const SIZE: Words = ("尺码", "Size");
const SPEC: Words = ("规格", "Spec");
const CAPACITY: Words = ("容量", "Capacity");
const NET_WEIGHT: Words = ("净含量", "Net Weight");
const FLAVOUR: Words = ("口味", "Flavour");
const FEATURE: Words = ("卖点", "Feature");
const MATERIAL: Words = ("材质", "Material");
const POWER: Words = ("功率", "Power");
const BENEFIT: Words = ("功效", "Benefit");
const SCENT: Words = ("香型", "Scent");
const PACKAGING: Words = ("包装", "Packaging");
const SHADE: Words = ("色号", "Shade");
const STORAGE: Words = ("存储容量", "Storage");
const DIMENSIONS: Words = ("尺寸", "Dimensions");
const SKIN_TYPE: Words = ("适用肤质", "Skin Type");
const VERSION: Words = ("版本", "Edition");
const STYLE: Words = ("款式", "Style");

const CLOTHING_SIZES: &[Words] = &[
    ("S", "S"),
    ("M", "M"),
    ("L", "L"),
    ("XL", "XL"),
    ("XXL", "XXL"),
];
const MEN_SHOE_SIZES: &[Words] = &[
    ("40码", "EU 40"),
    ("41码", "EU 41"),
    ("42码", "EU 42"),
    ("43码", "EU 43"),
    ("44码", "EU 44"),
];
const ADULT_SHOE_SIZES: &[Words] = &[
    ("36码", "EU 36"),
    ("37码", "EU 37"),
    ("38码", "EU 38"),
    ("39码", "EU 39"),
    ("40码", "EU 40"),
    ("41码", "EU 41"),
    ("42码", "EU 42"),
    ("43码", "EU 43"),
];
const BLACK: Words = ("黑色", "Black");
const WHITE: Words = ("白色", "White");
const GREY: Words = ("灰色", "Grey");
const NAVY: Words = ("藏青", "Navy");
const SILVER: Words = ("银色", "Silver");
const PINK: Words = ("粉色", "Pink");
const BLUE: Words = ("蓝色", "Blue");
const GREEN: Words = ("绿色", "Green");
const RED: Words = ("红色", "Red");
const KHAKI: Words = ("卡其", "Khaki");
const CLEAR: Words = ("透明", "Clear");
const GIFT_BOX: Words = ("礼盒", "Gift Box");
const BAG: Words = ("袋装", "Bag");
const DRY_SKIN: Words = ("干性肌肤", "Dry Skin");
const OILY_SKIN: Words = ("油性肌肤", "Oily Skin");
const COMBINATION_SKIN: Words = ("混合性肌肤", "Combination Skin");
const SENSITIVE_SKIN: Words = ("敏感肌", "Sensitive Skin");

// Brands that recur across kinds.
const MIDEA: Words = ("美的", "Midea");
const HAIER: Words = ("海尔", "Haier");
const GREE: Words = ("格力", "Gree");
const SUPOR: Words = ("苏泊尔", "Supor");
const JOYOUNG: Words = ("九阳", "Joyoung");
const BEAR: Words = ("小熊", "Bear");
const PHILIPS: Words = ("飞利浦", "Philips");
const PANASONIC: Words = ("松下", "Panasonic");
const XIAOMI: Words = ("小米", "Xiaomi");
const HUAWEI: Words = ("华为", "Huawei");
const APPLE: Words = ("苹果", "Apple");
const SONY: Words = ("索尼", "Sony");
const DYSON: Words = ("戴森", "Dyson");
const LENOVO: Words = ("联想", "Lenovo");
const ASUS: Words = ("华硕", "ASUS");
const DELL: Words = ("戴尔", "Dell");
const ANKER: Words = ("安克", "Anker");
const BASEUS: Words = ("倍思", "Baseus");
const UGREEN: Words = ("绿联", "UGREEN");
const LOGITECH: Words = ("罗技", "Logitech");
const RAZER: Words = ("雷蛇", "Razer");
const LI_NING: Words = ("李宁", "Li-Ning");
const ANTA: Words = ("安踏", "Anta");
const NIKE: Words = ("耐克", "Nike");
const ADIDAS: Words = ("阿迪达斯", "Adidas");
const UNIQLO: Words = ("优衣库", "Uniqlo");
const SEMIR: Words = ("森马", "Semir");
const HLA: Words = ("海澜之家", "HLA");
const PEACEBIRD: Words = ("太平鸟", "Peacebird");
const MUJI: Words = ("无印良品", "MUJI");
const BANANAIN: Words = ("蕉内", "Bananain");
const NANJIREN: Words = ("南极人", "Nanjiren");
const ESTEE_LAUDER: Words = ("雅诗兰黛", "Estée Lauder");
const LANCOME: Words = ("兰蔻", "Lancôme");
const LOREAL: Words = ("欧莱雅", "L'Oréal");
const DIOR: Words = ("迪奥", "Dior");
const ARMANI: Words = ("阿玛尼", "Armani");
const PROYA: Words = ("珀莱雅", "Proya");
const WINONA: Words = ("薇诺娜", "Winona");
const PECHOIN: Words = ("百雀羚", "Pechoin");
const PERFECT_DIARY: Words = ("完美日记", "Perfect Diary");
const FLORASIS: Words = ("花西子", "Florasis");
const LA_ROCHE_POSAY: Words = ("理肤泉", "La Roche-Posay");
const THREE_SQUIRRELS: Words = ("三只松鼠", "Three Squirrels");
const BESTORE: Words = ("良品铺子", "Bestore");
const BE_AND_CHEERY: Words = ("百草味", "Be&Cheery");
const YILI: Words = ("伊利", "Yili");
const MENGNIU: Words = ("蒙牛", "Mengniu");
const BRIGHT: Words = ("光明", "Bright Dairy");
const ARAWANA: Words = ("金龙鱼", "Arawana");
const FORTUNE: Words = ("福临门", "Fortune");
const NONGFU: Words = ("农夫山泉", "Nongfu Spring");
const ROYAL_CANIN: Words = ("皇家", "Royal Canin");
const MYFOODIE: Words = ("麦富迪", "Myfoodie");
const YANXUAN: Words = ("网易严选", "NetEase Yanxuan");
const DECATHLON: Words = ("迪卡侬", "Decathlon");
const KEEP: Words = ("Keep", "Keep");
const CAMEL: Words = ("骆驼", "Camel");
const THE_NORTH_FACE: Words = ("北面", "The North Face");
const SAMSONITE: Words = ("新秀丽", "Samsonite");
const VINDA: Words = ("维达", "Vinda");
const BREEZE: Words = ("清风", "Breeze");
const CNS: Words = ("洁柔", "C&S");
const LIBY: Words = ("立白", "Liby");
const LUOLAI: Words = ("罗莱", "Luolai");
const FUANNA: Words = ("富安娜", "Fuanna");
const MERCURY: Words = ("水星家纺", "Mercury Home");
const ZOJIRUSHI: Words = ("象印", "Zojirushi");
const TIGER: Words = ("虎牌", "Tiger");
const MORPHY_RICHARDS: Words = ("摩飞", "Morphy Richards");
const FLYCO: Words = ("飞科", "Flyco");
const COACH: Words = ("蔻驰", "Coach");
const SEPTWOLVES: Words = ("七匹狼", "Septwolves");
const BABYCARE: Words = ("babycare", "babycare");

/// Every kind the generator knows, spread over appliances, electronics, beauty, household,
/// apparel, food, baby, pet, sport and toys.
#[rustfmt::skip]
pub(crate) static KINDS: &[Kind] = &[
    // Household appliances.
    Kind {
        category_id: 605,
        category_leaf: "Air Conditioners",
        nouns: &[
            ("变频空调", "Inverter Air Conditioner"),
            ("空调", "Air Conditioner"),
            ("新一级能效空调", "Energy-Efficient Air Conditioner"),
        ],
        brands: &[GREE, MIDEA, HAIER, ("奥克斯", "AUX"), ("大金", "Daikin"), XIAOMI],
        attributes: &[
            tiered(
                ("匹数", "Power"),
                30,
                &[("1匹", "1HP"), ("1.5匹", "1.5HP"), ("2匹", "2HP"), ("3匹", "3HP")],
            ),
            attr(("功能", "Mode"), &[("冷暖", "Heat & Cool"), ("单冷", "Cooling Only")]),
            attr(("安装方式", "Mounting"), &[("壁挂式", "Wall-Mounted"), ("立柜式", "Floor-Standing")]),
        ],
        retail_yuan: (1999, 5999),
        commission_bps: (200, 600),
    },
    Kind {
        category_id: 686,
        category_leaf: "Refrigerators",
        nouns: &[
            ("冰箱", "Refrigerator"),
            ("对开门冰箱", "Side-by-Side Refrigerator"),
            ("十字四门冰箱", "French Door Refrigerator"),
        ],
        brands: &[HAIER, MIDEA, ("容声", "Ronshen"), ("西门子", "Siemens"), PANASONIC],
        attributes: &[
            tiered(CAPACITY, 15, &[("310升", "310L"), ("450升", "450L"), ("510升", "510L")]),
            attr(("制冷方式", "Cooling"), &[("风冷无霜", "Frost-Free"), ("直冷", "Direct Cooling")]),
            attr(COLOUR, &[SILVER, ("星蕴灰", "Graphite Grey"), ("白色", "White")]),
        ],
        retail_yuan: (1499, 6999),
        commission_bps: (200, 500),
    },
    Kind {
        category_id: 2549,
        category_leaf: "Washing Machines",
        nouns: &[("滚筒洗衣机", "Front-Load Washing Machine"), ("波轮洗衣机", "Top-Load Washing Machine")],
        brands: &[("小天鹅", "Little Swan"), HAIER, MIDEA, ("西门子", "Siemens"), ("LG", "LG")],
        attributes: &[
            tiered(CAPACITY, 12, &[("8公斤", "8kg"), ("10公斤", "10kg"), ("12公斤", "12kg")]),
            tiered(("功能", "Function"), 35, &[("单洗", "Wash Only"), ("洗烘一体", "Washer-Dryer")]),
        ],
        retail_yuan: (999, 4999),
        commission_bps: (200, 500),
    },
    Kind {
        category_id: 757,
        category_leaf: "Rice Cookers",
        nouns: &[("电饭煲", "Rice Cooker"), ("IH电饭煲", "Induction Rice Cooker")],
        brands: &[MIDEA, SUPOR, JOYOUNG, ZOJIRUSHI, TIGER],
        attributes: &[
            tiered(CAPACITY, 10, &[("3L", "3L"), ("4L", "4L"), ("5L", "5L")]),
            attr(("内胆", "Inner Pot"), &[("不粘内胆", "Non-Stick Pot"), ("陶晶内胆", "Ceramic Pot")]),
        ],
        retail_yuan: (199, 1299),
        commission_bps: (400, 1200),
    },
    Kind {
        category_id: 490,
        category_leaf: "Hair Dryers",
        nouns: &[("吹风机", "Hair Dryer"), ("高速负离子吹风机", "High-Speed Ionic Hair Dryer")],
        brands: &[DYSON, PHILIPS, PANASONIC, ("徕芬", "Laifen"), FLYCO],
        attributes: &[
            tiered(POWER, 8, &[("1600W", "1600W"), ("1800W", "1800W"), ("2000W", "2000W")]),
            attr(COLOUR, &[("玫瑰金", "Rose Gold"), GREY, WHITE, BLACK]),
        ],
        retail_yuan: (99, 2999),
        commission_bps: (600, 2000),
    },
    Kind {
        category_id: 751,
        category_leaf: "Electric Kettles",
        nouns: &[("电热水壶", "Electric Kettle"), ("恒温电水壶", "Temperature-Control Kettle")],
        brands: &[MIDEA, SUPOR, JOYOUNG, BEAR, PHILIPS],
        attributes: &[
            tiered(CAPACITY, 8, &[("1.5L", "1.5L"), ("1.7L", "1.7L")]),
            attr(
                MATERIAL,
                &[("304不锈钢", "304 Stainless Steel"), ("高硼硅玻璃", "Borosilicate Glass")],
            ),
        ],
        retail_yuan: (69, 299),
        commission_bps: (800, 2000),
    },
    Kind {
        category_id: 753,
        category_leaf: "Microwave Ovens",
        nouns: &[("微波炉", "Microwave Oven"), ("微蒸烤一体机", "Combination Steam Microwave")],
        brands: &[("格兰仕", "Galanz"), MIDEA, PANASONIC],
        attributes: &[
            tiered(CAPACITY, 10, &[("20升", "20L"), ("23升", "23L"), ("25升", "25L")]),
            tiered(("控制方式", "Controls"), 15, &[("机械旋钮", "Dial"), ("智能触控", "Touch Panel")]),
        ],
        retail_yuan: (399, 1999),
        commission_bps: (300, 800),
    },
    Kind {
        category_id: 738,
        category_leaf: "Deep Fryers",
        nouns: &[("空气炸锅", "Air Fryer"), ("可视空气炸锅", "Air Fryer with Window")],
        brands: &[BEAR, MIDEA, JOYOUNG, PHILIPS, MORPHY_RICHARDS],
        attributes: &[
            tiered(CAPACITY, 8, &[("4.5L", "4.5L"), ("5.5L", "5.5L"), ("6.5L", "6.5L")]),
            attr(COLOUR, &[WHITE, BLACK, ("奶油绿", "Cream Green")]),
        ],
        retail_yuan: (199, 699),
        commission_bps: (800, 2000),
    },
    Kind {
        category_id: 619,
        category_leaf: "Vacuums",
        nouns: &[("扫地机器人", "Robot Vacuum"), ("无线吸尘器", "Cordless Vacuum Cleaner")],
        brands: &[("科沃斯", "Ecovacs"), ("石头", "Roborock"), ("追觅", "Dreame"), DYSON, XIAOMI],
        attributes: &[
            tiered(
                ("吸力", "Suction"),
                10,
                &[("5000Pa", "5000Pa"), ("8000Pa", "8000Pa"), ("12000Pa", "12000Pa")],
            ),
            attr(COLOUR, &[WHITE, BLACK]),
        ],
        retail_yuan: (999, 4999),
        commission_bps: (300, 800),
    },
    Kind {
        category_id: 527,
        category_leaf: "Toothbrushes",
        nouns: &[("电动牙刷", "Electric Toothbrush"), ("声波电动牙刷", "Sonic Electric Toothbrush")],
        brands: &[PHILIPS, ("欧乐B", "Oral-B"), ("usmile", "usmile"), ("舒客", "Saky")],
        attributes: &[
            tiered(SPEC, 80, &[("单支装", "Single"), ("情侣双支装", "Twin Pack")]),
            attr(COLOUR, &[WHITE, PINK, BLUE, BLACK]),
        ],
        retail_yuan: (99, 899),
        commission_bps: (1000, 2500),
    },
    Kind {
        category_id: 532,
        category_leaf: "Electric Razors",
        nouns: &[("电动剃须刀", "Electric Shaver"), ("往复式剃须刀", "Foil Shaver")],
        brands: &[PHILIPS, ("博朗", "Braun"), FLYCO, PANASONIC],
        attributes: &[
            tiered(("刀头", "Heads"), 25, &[("三刀头", "3-Head"), ("五刀头", "5-Head")]),
            attr(COLOUR, &[BLACK, SILVER, BLUE]),
        ],
        retail_yuan: (129, 1999),
        commission_bps: (600, 2000),
    },
    Kind {
        category_id: 5057,
        category_leaf: "Soy Milk Makers",
        nouns: &[("豆浆机", "Soy Milk Maker"), ("免滤豆浆机", "Filter-Free Soy Milk Maker")],
        brands: &[JOYOUNG, MIDEA, SUPOR],
        attributes: &[
            tiered(CAPACITY, 10, &[("0.8L", "0.8L"), ("1.2L", "1.2L"), ("1.5L", "1.5L")]),
            attr(COLOUR, &[WHITE, GREY]),
        ],
        retail_yuan: (199, 899),
        commission_bps: (600, 1500),
    },
    Kind {
        category_id: 505666,
        category_leaf: "Food Mixers & Blenders",
        nouns: &[("破壁机", "High-Speed Blender"), ("便携榨汁杯", "Portable Blender")],
        brands: &[JOYOUNG, MIDEA, MORPHY_RICHARDS, BEAR, ("博世", "Bosch")],
        attributes: &[
            tiered(CAPACITY, 10, &[("0.4L", "0.4L"), ("1.2L", "1.2L"), ("1.75L", "1.75L")]),
            attr(COLOUR, &[WHITE, PINK, GREEN]),
        ],
        retail_yuan: (99, 1299),
        commission_bps: (800, 2000),
    },
    Kind {
        category_id: 2535,
        category_leaf: "Desk & Pedestal Fans",
        nouns: &[("落地扇", "Pedestal Fan"), ("空气循环扇", "Air Circulator Fan")],
        brands: &[MIDEA, ("艾美特", "Airmate"), GREE, ("先锋", "Singfun")],
        attributes: &[
            tiered(("控制方式", "Controls"), 20, &[("机械款", "Manual"), ("遥控款", "Remote Control")]),
            attr(COLOUR, &[WHITE, GREY]),
        ],
        retail_yuan: (99, 499),
        commission_bps: (600, 1500),
    },
    Kind {
        category_id: 613,
        category_leaf: "Humidifiers",
        nouns: &[("加湿器", "Humidifier"), ("无雾加湿器", "Evaporative Humidifier")],
        brands: &[MIDEA, BEAR, ("德尔玛", "Deerma"), ("亚都", "Yadu")],
        attributes: &[
            tiered(CAPACITY, 10, &[("3L", "3L"), ("4L", "4L"), ("5L", "5L")]),
            attr(COLOUR, &[WHITE, PINK]),
        ],
        retail_yuan: (79, 599),
        commission_bps: (800, 2000),
    },
    Kind {
        category_id: 606,
        category_leaf: "Air Purifiers",
        nouns: &[("空气净化器", "Air Purifier")],
        brands: &[XIAOMI, PHILIPS, ("布鲁雅尔", "Blueair"), MIDEA],
        attributes: &[
            attr(BENEFIT, &[ ("除甲醛", "Formaldehyde Removal"), ("除菌", "Anti-Bacterial"), ]),
            tiered(
                ("适用面积", "Room Size"),
                20,
                &[("30平米", "30 m²"), ("60平米", "60 m²"), ("90平米", "90 m²")],
            ),
        ],
        retail_yuan: (699, 3999),
        commission_bps: (300, 1000),
    },
    Kind {
        category_id: 765,
        category_leaf: "Water Filters",
        nouns: &[("净水器", "Water Purifier"), ("反渗透净水器", "Reverse Osmosis Water Purifier")],
        brands: &[MIDEA, ("沁园", "Qinyuan"), ("安吉尔", "Angel"), ("3M", "3M")],
        attributes: &[tiered(
            ("通量", "Flow"),
            12,
            &[("400G", "400G"), ("600G", "600G"), ("800G", "800G"), ("1000G", "1000G")],
        )],
        retail_yuan: (999, 3999),
        commission_bps: (300, 1000),
    },
    Kind {
        category_id: 621,
        category_leaf: "Water Heaters",
        nouns: &[("电热水器", "Electric Water Heater"), ("储水式热水器", "Tank Water Heater")],
        brands: &[HAIER, MIDEA, ("A.O.史密斯", "A. O. Smith"), ("万和", "Vanward")],
        attributes: &[
            tiered(CAPACITY, 10, &[("50升", "50L"), ("60升", "60L"), ("80升", "80L")]),
            attr(("安装方式", "Mounting"), &[("横式", "Horizontal"), ("竖式", "Vertical")]),
        ],
        retail_yuan: (999, 3999),
        commission_bps: (300, 800),
    },
    Kind {
        category_id: 404,
        category_leaf: "Televisions",
        nouns: &[("4K智能电视", "4K Smart TV"), ("液晶电视", "LED TV")],
        brands: &[("海信", "Hisense"), ("TCL", "TCL"), ("创维", "Skyworth"), XIAOMI, SONY],
        attributes: &[tiered(
            ("屏幕尺寸", "Screen Size"),
            30,
            &[("55英寸", "55-Inch"), ("65英寸", "65-Inch"), ("75英寸", "75-Inch"), ("85英寸", "85-Inch")],
        )],
        retail_yuan: (1999, 7999),
        commission_bps: (200, 500),
    },
    // Electronics.
    Kind {
        category_id: 543514,
        category_leaf: "Unlocked Mobile Phones",
        nouns: &[("5G手机", "5G Smartphone"), ("智能手机", "Smartphone"), ("拍照手机", "Camera Phone")],
        brands: &[HUAWEI, XIAOMI, APPLE, ("OPPO", "OPPO"), ("vivo", "vivo"), ("荣耀", "Honor")],
        attributes: &[
            attr(
                COLOUR,
                &[
                    ("曜石黑", "Obsidian Black"),
                    ("雪域白", "Snow White"),
                    ("星河蓝", "Galaxy Blue"),
                    ("钛金色", "Titanium"),
                ],
            ),
            tiered(
                STORAGE,
                15,
                &[("128GB", "128GB"), ("256GB", "256GB"), ("512GB", "512GB"), ("1TB", "1TB")],
            ),
        ],
        retail_yuan: (1299, 7999),
        commission_bps: (100, 300),
    },
    Kind {
        category_id: 4745,
        category_leaf: "Tablet Computers",
        nouns: &[("平板电脑", "Tablet"), ("学习平板", "Study Tablet")],
        brands: &[APPLE, HUAWEI, XIAOMI, LENOVO, ("荣耀", "Honor")],
        attributes: &[
            attr(COLOUR, &[("深空灰", "Space Grey"), SILVER]),
            tiered(STORAGE, 15, &[("64GB", "64GB"), ("128GB", "128GB"), ("256GB", "256GB")]),
        ],
        retail_yuan: (1199, 6999),
        commission_bps: (100, 400),
    },
    Kind {
        category_id: 328,
        category_leaf: "Laptops",
        nouns: &[("轻薄笔记本电脑", "Thin and Light Laptop"), ("游戏本", "Gaming Laptop")],
        brands: &[LENOVO, HUAWEI, DELL, ("惠普", "HP"), ASUS, APPLE],
        attributes: &[
            attr(COLOUR, &[SILVER, ("深空灰", "Space Grey")]),
            tiered(
                ("配置", "Configuration"),
                15,
                &[("16GB+512GB", "16GB+512GB"), ("16GB+1TB", "16GB+1TB"), ("32GB+1TB", "32GB+1TB")],
            ),
        ],
        retail_yuan: (3999, 12999),
        commission_bps: (100, 300),
    },
    Kind {
        category_id: 543626,
        category_leaf: "Headphones",
        nouns: &[("真无线蓝牙耳机", "True Wireless Earbuds"), ("头戴式降噪耳机", "Noise-Cancelling Headphones")],
        brands: &[HUAWEI, XIAOMI, APPLE, SONY, ("漫步者", "Edifier"), BASEUS],
        attributes: &[attr(COLOUR, &[WHITE, BLACK, BLUE, ("薄荷绿", "Mint Green")])],
        retail_yuan: (99, 1999),
        commission_bps: (500, 2000),
    },
    Kind {
        category_id: 505295,
        category_leaf: "Power Adapters & Chargers",
        nouns: &[("氮化镓充电器", "GaN Charger"), ("快充充电头", "Fast Charger")],
        brands: &[ANKER, BASEUS, UGREEN, XIAOMI, ("公牛", "BULL")],
        attributes: &[
            attr(
                ("接口", "Ports"),
                &[("USB-C", "USB-C"), ("双口 USB-C+USB-A", "Dual USB-C + USB-A")],
            ),
            tiered(
                POWER,
                25,
                &[("20W", "20W"), ("33W", "33W"), ("65W", "65W"), ("100W", "100W")],
            ),
        ],
        retail_yuan: (39, 299),
        commission_bps: (1000, 3000),
    },
    Kind {
        category_id: 1763,
        category_leaf: "System & Power Cables",
        nouns: &[("快充数据线", "Fast Charging Cable"), ("编织数据线", "Braided Charging Cable")],
        brands: &[UGREEN, BASEUS, ANKER, ("品胜", "Pisen")],
        attributes: &[
            attr(
                ("接口", "Connector"),
                &[("USB-C 转 USB-C", "USB-C to USB-C"), ("USB-A 转 Lightning", "USB-A to Lightning")],
            ),
            tiered(("长度", "Length"), 15, &[("1米", "1m"), ("1.5米", "1.5m"), ("2米", "2m")]),
        ],
        retail_yuan: (19, 99),
        commission_bps: (1500, 3500),
    },
    Kind {
        category_id: 500009,
        category_leaf: "Activity Monitors",
        nouns: &[("智能手环", "Fitness Band"), ("运动智能手表", "Sports Smartwatch")],
        brands: &[HUAWEI, XIAOMI, ("佳明", "Garmin"), ("华米", "Amazfit")],
        attributes: &[
            tiered(VERSION, 20, &[("标准版", "Standard"), ("NFC版", "NFC")]),
            attr(COLOUR, &[BLACK, PINK, GREEN]),
        ],
        retail_yuan: (149, 2999),
        commission_bps: (300, 1200),
    },
    Kind {
        category_id: 304,
        category_leaf: "Mice & Trackballs",
        nouns: &[("无线鼠标", "Wireless Mouse"), ("电竞鼠标", "Gaming Mouse")],
        brands: &[LOGITECH, RAZER, ("雷柏", "Rapoo"), XIAOMI],
        attributes: &[
            attr(("连接方式", "Connection"), &[("蓝牙", "Bluetooth"), ("2.4G接收器", "2.4GHz Receiver")]),
            attr(COLOUR, &[BLACK, WHITE, PINK]),
        ],
        retail_yuan: (49, 599),
        commission_bps: (800, 2500),
    },
    Kind {
        category_id: 303,
        category_leaf: "Keyboards",
        nouns: &[("机械键盘", "Mechanical Keyboard"), ("无线键盘", "Wireless Keyboard")],
        brands: &[LOGITECH, RAZER, ("达尔优", "Dareu"), ("樱桃", "Cherry")],
        attributes: &[
            attr(("配列", "Layout"), &[("87键", "87-Key"), ("104键", "104-Key")]),
            attr(
                ("轴体", "Switch"),
                &[("青轴", "Blue Switch"), ("红轴", "Red Switch"), ("茶轴", "Brown Switch")],
            ),
        ],
        retail_yuan: (99, 999),
        commission_bps: (800, 2500),
    },
    Kind {
        category_id: 305,
        category_leaf: "Computer Monitors",
        nouns: &[("显示器", "Monitor"), ("电竞显示器", "Gaming Monitor")],
        brands: &[DELL, ("三星", "Samsung"), ("AOC", "AOC"), ASUS, ("LG", "LG")],
        attributes: &[
            tiered(
                ("屏幕尺寸", "Screen Size"),
                20,
                &[("24英寸", "24-Inch"), ("27英寸", "27-Inch"), ("32英寸", "32-Inch")],
            ),
            tiered(
                ("刷新率", "Refresh Rate"),
                10,
                &[("75Hz", "75Hz"), ("144Hz", "144Hz"), ("165Hz", "165Hz")],
            ),
        ],
        retail_yuan: (699, 3999),
        commission_bps: (200, 600),
    },
    Kind {
        category_id: 2353,
        category_leaf: "Mobile Phone Cases",
        nouns: &[("手机壳", "Phone Case"), ("磁吸手机壳", "Magnetic Phone Case")],
        brands: &[BASEUS, UGREEN, ("图拉斯", "Torras"), ("闪魔", "Smartdevil")],
        attributes: &[
            attr(
                ("适用机型", "Fits"),
                &[
                    ("iPhone 15", "iPhone 15"),
                    ("iPhone 15 Pro", "iPhone 15 Pro"),
                    ("华为 Mate 60", "Huawei Mate 60"),
                    ("小米 14", "Xiaomi 14"),
                ],
            ),
            attr(COLOUR, &[CLEAR, BLACK, ("磨砂紫", "Frosted Purple")]),
        ],
        retail_yuan: (19, 99),
        commission_bps: (2000, 4000),
    },
    Kind {
        category_id: 249,
        category_leaf: "Speakers",
        nouns: &[("蓝牙音箱", "Bluetooth Speaker"), ("智能音箱", "Smart Speaker")],
        brands: &[XIAOMI, ("JBL", "JBL"), ("漫步者", "Edifier"), SONY, ("博士", "Bose")],
        attributes: &[
            tiered(VERSION, 20, &[("标准版", "Standard"), ("防水版", "Waterproof")]),
            attr(COLOUR, &[BLACK, BLUE, RED]),
        ],
        retail_yuan: (99, 1999),
        commission_bps: (500, 2000),
    },
    Kind {
        category_id: 152,
        category_leaf: "Digital Cameras",
        nouns: &[("微单相机", "Mirrorless Camera"), ("数码相机", "Digital Camera")],
        brands: &[SONY, ("佳能", "Canon"), ("尼康", "Nikon"), ("富士", "Fujifilm")],
        attributes: &[
            tiered(("套装", "Kit"), 25, &[ ("单机身", "Body Only"), ("标准镜头套装", "Standard Lens Kit"), ]),
            attr(COLOUR, &[BLACK, SILVER]),
        ],
        retail_yuan: (2999, 15999),
        commission_bps: (100, 300),
    },
    Kind {
        category_id: 5497,
        category_leaf: "Wireless Routers",
        nouns: &[("WiFi6路由器", "Wi-Fi 6 Router"), ("千兆无线路由器", "Gigabit Wireless Router")],
        brands: &[("TP-LINK", "TP-Link"), HUAWEI, XIAOMI, ASUS, ("腾达", "Tenda")],
        attributes: &[
            tiered(
                ("速率", "Speed"),
                30,
                &[("AX1500", "AX1500"), ("AX3000", "AX3000"), ("AX6000", "AX6000")],
            ),
            attr(COLOUR, &[WHITE, BLACK]),
        ],
        retail_yuan: (129, 999),
        commission_bps: (500, 1500),
    },
    Kind {
        category_id: 3712,
        category_leaf: "USB Flash Drives",
        nouns: &[("U盘", "USB Flash Drive"), ("高速U盘", "High-Speed USB Flash Drive")],
        brands: &[("闪迪", "SanDisk"), ("金士顿", "Kingston"), ("铠侠", "Kioxia"), ("爱国者", "aigo")],
        attributes: &[
            attr(("接口", "Connector"), &[("USB 3.2", "USB 3.2"), ("Type-C双接口", "USB-C + USB-A")]),
            tiered(CAPACITY, 40, &[("64GB", "64GB"), ("128GB", "128GB"), ("256GB", "256GB")]),
        ],
        retail_yuan: (29, 199),
        commission_bps: (800, 2500),
    },
    Kind {
        category_id: 1294,
        category_leaf: "Video Game Consoles",
        nouns: &[("游戏机", "Game Console"), ("掌上游戏机", "Handheld Game Console")],
        brands: &[("任天堂", "Nintendo"), SONY, ("微软", "Microsoft")],
        attributes: &[
            tiered(VERSION, 20, &[("标准版", "Standard"), ("OLED版", "OLED")]),
            attr(COLOUR, &[WHITE, ("红蓝", "Neon Red & Blue")]),
        ],
        retail_yuan: (1999, 4999),
        commission_bps: (100, 400),
    },
    // Beauty and personal care.
    Kind {
        category_id: 3021,
        category_leaf: "Lipstick",
        nouns: &[("口红", "Lipstick"), ("哑光口红", "Matte Lipstick"), ("丝绒唇膏", "Velvet Lipstick")],
        brands: &[DIOR, ("圣罗兰", "YSL"), PERFECT_DIARY, FLORASIS, ("魅可", "MAC"), ARMANI],
        attributes: &[attr(
            SHADE,
            &[
                ("01 正红", "01 Classic Red"),
                ("02 豆沙", "02 Rosewood"),
                ("03 枫叶棕", "03 Maple Brown"),
                ("04 西柚", "04 Grapefruit"),
                ("05 奶茶", "05 Milk Tea"),
            ],
        )],
        retail_yuan: (79, 399),
        commission_bps: (1500, 3500),
    },
    Kind {
        category_id: 6262,
        category_leaf: "Skin Care Masks & Peels",
        nouns: &[
            ("补水面膜", "Hydrating Sheet Mask"),
            ("面膜", "Face Mask"),
            ("修护面膜", "Repair Sheet Mask"),
        ],
        brands: &[PECHOIN, PROYA, WINONA, ("自然堂", "Chando"), ("美迪惠尔", "Mediheal")],
        attributes: &[
            attr(
                BENEFIT,
                &[("补水保湿", "Hydrating"), ("舒缓修护", "Soothing"), ("提亮肤色", "Brightening")],
            ),
            tiered(
                SPEC,
                70,
                &[("10片", "10 Sheets"), ("20片", "20 Sheets"), ("30片", "30 Sheets")],
            ),
        ],
        retail_yuan: (49, 259),
        commission_bps: (2000, 4000),
    },
    Kind {
        category_id: 2592,
        category_leaf: "Lotion & Moisturizer",
        nouns: &[("面霜", "Face Cream"), ("保湿乳液", "Moisturising Lotion"), ("精华面霜", "Serum Cream")],
        brands: &[LANCOME, ESTEE_LAUDER, LOREAL, PROYA, WINONA, ("海蓝之谜", "La Mer")],
        attributes: &[
            attr(
                BENEFIT,
                &[("保湿", "Moisturising"), ("抗皱紧致", "Firming"), ("修护屏障", "Barrier Repair")],
            ),
            tiered(SPEC, 50, &[("30ml", "30ml"), ("50ml", "50ml")]),
        ],
        retail_yuan: (99, 1999),
        commission_bps: (1500, 3500),
    },
    Kind {
        category_id: 7429,
        category_leaf: "Anti-Aging Skin Care Kits",
        nouns: &[("护肤套装", "Skincare Set"), ("水乳套装", "Toner and Lotion Set")],
        brands: &[ESTEE_LAUDER, LANCOME, LOREAL, PROYA, PECHOIN, ("自然堂", "Chando")],
        attributes: &[
            attr(SKIN_TYPE, &[DRY_SKIN, OILY_SKIN, COMBINATION_SKIN]),
            tiered(SPEC, 40, &[("三件套", "3-Piece"), ("五件套", "5-Piece")]),
        ],
        retail_yuan: (199, 1599),
        commission_bps: (1500, 3500),
    },
    Kind {
        category_id: 2526,
        category_leaf: "Facial Cleansers",
        nouns: &[("洗面奶", "Facial Cleanser"), ("氨基酸洁面乳", "Amino Acid Cleanser")],
        brands: &[("芙丽芳丝", "Freeplus"), ("珂润", "Curél"), ("旁氏", "Pond's"), LA_ROCHE_POSAY],
        attributes: &[
            attr(SKIN_TYPE, &[OILY_SKIN, SENSITIVE_SKIN, COMBINATION_SKIN]),
            tiered(SPEC, 20, &[("100g", "100g"), ("120g", "120g"), ("150g", "150g")]),
        ],
        retail_yuan: (39, 199),
        commission_bps: (1500, 3500),
    },
    Kind {
        category_id: 2844,
        category_leaf: "Sunscreen",
        nouns: &[("防晒霜", "Sunscreen"), ("防晒喷雾", "Sunscreen Spray")],
        brands: &[("安热沙", "Anessa"), ("碧柔", "Bioré"), LA_ROCHE_POSAY, WINONA, ("蜜丝婷", "Mistine")],
        attributes: &[
            attr(
                ("防晒指数", "Protection"),
                &[("SPF50+ PA++++", "SPF50+ PA++++"), ("SPF30 PA+++", "SPF30 PA+++")],
            ),
            tiered(SPEC, 30, &[("40ml", "40ml"), ("60ml", "60ml"), ("90ml", "90ml")]),
        ],
        retail_yuan: (59, 299),
        commission_bps: (1500, 3500),
    },
    Kind {
        category_id: 2765,
        category_leaf: "Foundations & Concealers",
        nouns: &[("粉底液", "Liquid Foundation"), ("气垫粉底", "Cushion Foundation")],
        brands: &[ESTEE_LAUDER, ARMANI, LANCOME, FLORASIS, PERFECT_DIARY, ("毛戈平", "MGP")],
        attributes: &[
            attr(
                SHADE,
                &[
                    ("1C0 象牙白", "1C0 Ivory"),
                    ("1W1 自然色", "1W1 Natural"),
                    ("2W0 暖米色", "2W0 Warm Beige"),
                ],
            ),
            tiered(SPEC, 60, &[("30ml", "30ml"), ("50ml", "50ml")]),
        ],
        retail_yuan: (99, 699),
        commission_bps: (1500, 3500),
    },
    Kind {
        category_id: 2904,
        category_leaf: "Eye Shadow",
        nouns: &[("眼影盘", "Eyeshadow Palette")],
        brands: &[PERFECT_DIARY, FLORASIS, ("橘朵", "Judydoll"), ("3CE", "3CE"), ("珂拉琪", "Colorkey")],
        attributes: &[
            attr(
                ("色系", "Palette"),
                &[
                    ("大地色", "Earth Tones"),
                    ("蜜桃粉", "Peach Pink"),
                    ("焦糖棕", "Caramel Brown"),
                    ("玫瑰紫", "Rose Mauve"),
                ],
            ),
            tiered(SPEC, 20, &[("9色", "9 Shades"), ("12色", "12 Shades")]),
        ],
        retail_yuan: (39, 299),
        commission_bps: (1500, 3500),
    },
    Kind {
        category_id: 479,
        category_leaf: "Perfume & Cologne",
        nouns: &[("香水", "Perfume"), ("淡香水", "Eau de Toilette")],
        brands: &[("香奈儿", "Chanel"), DIOR, ("祖玛珑", "Jo Malone"), ("观夏", "To Summer"), ARMANI],
        attributes: &[
            attr(SCENT, &[ ("花香调", "Floral"), ("木质调", "Woody"), ("柑橘调", "Citrus"), ]),
            tiered(SPEC, 40, &[("30ml", "30ml"), ("50ml", "50ml"), ("100ml", "100ml")]),
        ],
        retail_yuan: (199, 1599),
        commission_bps: (1000, 3000),
    },
    Kind {
        category_id: 543615,
        category_leaf: "Shampoo",
        nouns: &[("洗发水", "Shampoo"), ("去屑洗发水", "Anti-Dandruff Shampoo")],
        brands: &[
            ("海飞丝", "Head & Shoulders"),
            ("潘婷", "Pantene"),
            ("清扬", "Clear"),
            ("阿道夫", "Adolph"),
        ],
        attributes: &[
            attr(
                BENEFIT,
                &[("控油蓬松", "Oil Control"), ("去屑止痒", "Anti-Dandruff"), ("柔顺", "Smoothing")],
            ),
            tiered(SPEC, 25, &[("400ml", "400ml"), ("500ml", "500ml"), ("750ml", "750ml")]),
        ],
        retail_yuan: (29, 129),
        commission_bps: (1500, 3000),
    },
    Kind {
        category_id: 2747,
        category_leaf: "Body Wash",
        nouns: &[("沐浴露", "Body Wash"), ("香氛沐浴露", "Fragranced Body Wash")],
        brands: &[("多芬", "Dove"), ("舒肤佳", "Safeguard"), ("力士", "Lux"), ("六神", "Liushen")],
        attributes: &[
            attr(SCENT, &[ ("樱花", "Cherry Blossom"), ("牛奶", "Milk"), ("薄荷", "Mint"), ]),
            tiered(SPEC, 25, &[("500ml", "500ml"), ("720ml", "720ml"), ("1L", "1L")]),
        ],
        retail_yuan: (29, 99),
        commission_bps: (1500, 3000),
    },
    Kind {
        category_id: 1360,
        category_leaf: "Toothpaste",
        nouns: &[("牙膏", "Toothpaste"), ("美白牙膏", "Whitening Toothpaste")],
        brands: &[
            ("云南白药", "Yunnan Baiyao"),
            ("高露洁", "Colgate"),
            ("佳洁士", "Crest"),
            ("舒适达", "Sensodyne"),
        ],
        attributes: &[
            attr(
                BENEFIT,
                &[("清新口气", "Fresh Breath"), ("抗敏感", "Sensitivity Relief"), ("亮白", "Whitening")],
            ),
            tiered(SPEC, 80, &[("120g×2支", "120g × 2"), ("120g×4支", "120g × 4")]),
        ],
        retail_yuan: (19, 99),
        commission_bps: (1500, 3000),
    },
    Kind {
        category_id: 6034,
        category_leaf: "Makeup Removers",
        nouns: &[("卸妆水", "Micellar Water"), ("卸妆油", "Cleansing Oil")],
        brands: &[("贝德玛", "Bioderma"), ("植村秀", "Shu Uemura"), ("芳珂", "Fancl"), LOREAL],
        attributes: &[
            attr(SKIN_TYPE, &[SENSITIVE_SKIN, OILY_SKIN]),
            tiered(SPEC, 40, &[("100ml", "100ml"), ("250ml", "250ml"), ("400ml", "400ml")]),
        ],
        retail_yuan: (49, 399),
        commission_bps: (1500, 3500),
    },
    Kind {
        category_id: 2683,
        category_leaf: "Nail Polishes",
        nouns: &[("指甲油", "Nail Polish"), ("速干指甲油", "Quick-Dry Nail Polish")],
        brands: &[("美宝莲", "Maybelline"), ("OPI", "OPI"), ("露华浓", "Revlon"), ("蜜丝婷", "Mistine")],
        attributes: &[
            tiered(SPEC, 150, &[("单瓶", "Single"), ("三色套装", "3-Colour Set")]),
            attr(COLOUR, &[ ("正红", "Red"), ("裸粉", "Nude Pink"), ("雾霾蓝", "Haze Blue"), BLACK, ]),
        ],
        retail_yuan: (19, 99),
        commission_bps: (2000, 4000),
    },
    Kind {
        category_id: 543658,
        category_leaf: "Toners",
        nouns: &[("爽肤水", "Toner"), ("精华水", "Essence Toner")],
        brands: &[PECHOIN, PROYA, WINONA, ("资生堂", "Shiseido"), ("悦诗风吟", "Innisfree")],
        attributes: &[
            attr(BENEFIT, &[ ("补水", "Hydrating"), ("控油", "Oil Control"), ("舒缓", "Soothing"), ]),
            tiered(SPEC, 40, &[("150ml", "150ml"), ("200ml", "200ml"), ("400ml", "400ml")]),
        ],
        retail_yuan: (59, 399),
        commission_bps: (1500, 3500),
    },
    Kind {
        category_id: 3407,
        category_leaf: "Hair Straighteners",
        nouns: &[("直发夹板", "Hair Straightener"), ("直卷两用夹板", "2-in-1 Straightener and Curler")],
        brands: &[DYSON, PHILIPS, PANASONIC, ("科德士", "Codos")],
        attributes: &[
            tiered(
                ("温度档位", "Heat Settings"),
                15,
                &[("三档调温", "3 Settings"), ("五档调温", "5 Settings")],
            ),
            attr(COLOUR, &[PINK, BLACK, WHITE]),
        ],
        retail_yuan: (79, 2999),
        commission_bps: (800, 2500),
    },
    Kind {
        category_id: 525,
        category_leaf: "Vitamins & Supplements",
        nouns: &[
            ("维生素C片", "Vitamin C Tablets"),
            ("复合维生素", "Multivitamin"),
            ("钙片", "Calcium Tablets"),
        ],
        brands: &[
            ("汤臣倍健", "By-Health"),
            ("善存", "Centrum"),
            ("Swisse", "Swisse"),
            ("养生堂", "Yangshengtang"),
        ],
        attributes: &[
            attr(("适用人群", "For"), &[("成人", "Adults"), ("女士", "Women"), ("中老年", "Seniors")]),
            tiered(
                SPEC,
                50,
                &[("60片", "60 Tablets"), ("100片", "100 Tablets"), ("200片", "200 Tablets")],
            ),
        ],
        retail_yuan: (59, 299),
        commission_bps: (1500, 4000),
    },
    Kind {
        category_id: 543596,
        category_leaf: "Electric Massagers",
        nouns: &[("筋膜枪", "Massage Gun"), ("颈椎按摩仪", "Neck Massager")],
        brands: &[("倍轻松", "Breo"), ("荣泰", "Rotai"), ("奥佳华", "OSIM"), XIAOMI],
        attributes: &[
            tiered(VERSION, 25, &[("标准版", "Standard"), ("热敷版", "Heated")]),
            attr(COLOUR, &[BLACK, WHITE, GREY]),
        ],
        retail_yuan: (149, 999),
        commission_bps: (1000, 3000),
    },
    Kind {
        category_id: 500,
        category_leaf: "Body Weight Scales",
        nouns: &[("体脂秤", "Smart Body Fat Scale"), ("电子体重秤", "Digital Bathroom Scale")],
        brands: &[XIAOMI, HUAWEI, ("云康宝", "Yunmai"), ("香山", "Camry")],
        attributes: &[
            tiered(VERSION, 40, &[("基础版", "Basic"), ("蓝牙版", "Bluetooth")]),
            attr(COLOUR, &[WHITE, BLACK]),
        ],
        retail_yuan: (49, 299),
        commission_bps: (800, 2500),
    },
    // Household supplies and home.
    Kind {
        category_id: 624,
        category_leaf: "Facial Tissues",
        nouns: &[("抽纸", "Facial Tissues"), ("纸巾", "Tissue Paper")],
        brands: &[VINDA, BREEZE, CNS, ("心相印", "Hearttex"), ("得宝", "Tempo")],
        attributes: &[
            attr(SCENT, &[("无香", "Unscented"), ("淡香", "Lightly Scented")]),
            tiered(
                SPEC,
                40,
                &[
                    ("3层100抽×18包", "3-Ply 100 Sheets × 18 Packs"),
                    ("3层120抽×24包", "3-Ply 120 Sheets × 24 Packs"),
                ],
            ),
        ],
        retail_yuan: (29, 89),
        commission_bps: (800, 2000),
    },
    Kind {
        category_id: 629,
        category_leaf: "Toilet Paper",
        nouns: &[("卷纸", "Toilet Paper"), ("无芯卷纸", "Coreless Toilet Roll")],
        brands: &[VINDA, BREEZE, CNS, ("心相印", "Hearttex")],
        attributes: &[
            attr(SCENT, &[("无香", "Unscented"), ("淡香", "Lightly Scented")]),
            tiered(SPEC, 150, &[ ("4层×10卷", "4-Ply × 10 Rolls"), ("4层×27卷", "4-Ply × 27 Rolls"), ]),
        ],
        retail_yuan: (19, 59),
        commission_bps: (800, 2000),
    },
    Kind {
        category_id: 2754,
        category_leaf: "Laundry Detergent",
        nouns: &[("洗衣液", "Laundry Detergent"), ("洗衣凝珠", "Laundry Pods")],
        brands: &[("蓝月亮", "Bluemoon"), ("汰渍", "Tide"), ("奥妙", "OMO"), LIBY, ("超能", "Chaoneng")],
        attributes: &[
            attr(SCENT, &[ ("薰衣草", "Lavender"), ("洋甘菊", "Chamomile"), ("清新", "Fresh"), ]),
            tiered(NET_WEIGHT, 40, &[("2kg", "2kg"), ("3kg", "3kg"), ("4kg", "4kg")]),
        ],
        retail_yuan: (29, 129),
        commission_bps: (1000, 2500),
    },
    Kind {
        category_id: 4975,
        category_leaf: "Dish Detergent & Soap",
        nouns: &[("洗洁精", "Dish Soap"), ("果蔬洗洁精", "Fruit and Dish Wash")],
        brands: &[LIBY, ("白猫", "White Cat"), ("雕牌", "Diaopai"), ("超能", "Chaoneng")],
        attributes: &[
            attr(SCENT, &[("柠檬", "Lemon"), ("绿茶", "Green Tea")]),
            tiered(NET_WEIGHT, 30, &[("1kg", "1kg"), ("1.5kg", "1.5kg"), ("2kg", "2kg")]),
        ],
        retail_yuan: (9, 49),
        commission_bps: (1000, 2500),
    },
    Kind {
        category_id: 2374,
        category_leaf: "Garbage Bags",
        nouns: &[("垃圾袋", "Garbage Bags"), ("抽绳垃圾袋", "Drawstring Garbage Bags")],
        brands: &[("妙洁", "Miaojie"), ("美丽雅", "Maryya"), ("茶花", "Chahua")],
        attributes: &[
            attr(COLOUR, &[BLACK, WHITE, ("多彩", "Assorted Colours")]),
            tiered(
                SPEC,
                20,
                &[("45×50cm 100只", "45×50cm × 100"), ("50×60cm 120只", "50×60cm × 120")],
            ),
        ],
        retail_yuan: (9, 39),
        commission_bps: (1000, 2500),
    },
    Kind {
        category_id: 3800,
        category_leaf: "Thermoses",
        nouns: &[("保温杯", "Vacuum Flask"), ("焖烧杯", "Food Flask")],
        brands: &[("膳魔师", "Thermos"), ZOJIRUSHI, TIGER, ("富光", "Fuguang")],
        attributes: &[
            attr(COLOUR, &[ WHITE, BLACK, ("莫兰迪绿", "Sage Green"), ("樱花粉", "Blossom Pink"), ]),
            tiered(CAPACITY, 15, &[("350ml", "350ml"), ("500ml", "500ml"), ("750ml", "750ml")]),
        ],
        retail_yuan: (49, 399),
        commission_bps: (1000, 2500),
    },
    Kind {
        category_id: 3809,
        category_leaf: "Water Bottles",
        nouns: &[("运动水杯", "Sports Water Bottle"), ("大容量吸管杯", "Large Straw Bottle")],
        brands: &[("富光", "Fuguang"), ("乐扣乐扣", "LocknLock"), ("特百惠", "Tupperware")],
        attributes: &[
            attr(COLOUR, &[CLEAR, GREY, GREEN, PINK]),
            tiered(CAPACITY, 15, &[("600ml", "600ml"), ("1L", "1L"), ("1.5L", "1.5L")]),
        ],
        retail_yuan: (29, 159),
        commission_bps: (1000, 2500),
    },
    Kind {
        category_id: 2541,
        category_leaf: "Duvet Covers",
        nouns: &[("床上四件套", "4-Piece Bedding Set"), ("被套", "Duvet Cover")],
        brands: &[LUOLAI, FUANNA, MERCURY, ("梦洁", "Mendale"), MUJI],
        attributes: &[
            tiered(MATERIAL, 40, &[("纯棉", "Cotton"), ("天丝", "Tencel")]),
            attr(COLOUR, &[("燕麦色", "Oatmeal"), GREY, ("雾蓝", "Mist Blue")]),
            tiered(
                ("适用床", "Bed Size"),
                12,
                &[("1.5米床", "150cm Bed"), ("1.8米床", "180cm Bed"), ("2米床", "200cm Bed")],
            ),
        ],
        retail_yuan: (199, 999),
        commission_bps: (1000, 3000),
    },
    Kind {
        category_id: 2700,
        category_leaf: "Pillows",
        nouns: &[("乳胶枕", "Latex Pillow"), ("记忆棉枕头", "Memory Foam Pillow"), ("枕头", "Pillow")],
        brands: &[LUOLAI, MERCURY, FUANNA, ("亚朵", "Atour")],
        attributes: &[
            attr(("高度", "Height"), &[("低枕", "Low"), ("中枕", "Medium"), ("高枕", "High")]),
            tiered(SPEC, 90, &[("单只装", "Single"), ("一对装", "Pair")]),
        ],
        retail_yuan: (59, 499),
        commission_bps: (1000, 3000),
    },
    Kind {
        category_id: 505287,
        category_leaf: "Quilts & Comforters",
        nouns: &[("蚕丝被", "Silk Comforter"), ("羽绒被", "Down Comforter")],
        brands: &[LUOLAI, MERCURY, FUANNA, ("梦洁", "Mendale")],
        attributes: &[
            tiered(("厚度", "Weight"), 30, &[("春秋被", "All-Season"), ("冬被", "Winter")]),
            tiered(DIMENSIONS, 20, &[("150×200cm", "150×200cm"), ("200×230cm", "200×230cm")]),
        ],
        retail_yuan: (299, 2999),
        commission_bps: (1000, 3000),
    },
    Kind {
        category_id: 576,
        category_leaf: "Bath Towels & Washcloths",
        nouns: &[("纯棉毛巾", "Cotton Towel"), ("浴巾", "Bath Towel")],
        brands: &[("洁丽雅", "Grace"), ("金号", "Kingshore"), ("孚日", "Sunvim"), MUJI],
        attributes: &[
            attr(COLOUR, &[WHITE, GREY, ("浅蓝", "Light Blue"), ("米色", "Beige")]),
            tiered(SPEC, 150, &[("单条", "Single"), ("3条装", "3-Pack")]),
        ],
        retail_yuan: (19, 129),
        commission_bps: (1000, 3000),
    },
    Kind {
        category_id: 664,
        category_leaf: "Woks",
        nouns: &[("炒锅", "Wok"), ("不粘炒锅", "Non-Stick Wok")],
        brands: &[SUPOR, ("爱仕达", "ASD"), ("双立人", "Zwilling"), ("炊大皇", "Cooker King")],
        attributes: &[
            attr(
                MATERIAL,
                &[("精铁", "Carbon Steel"), ("不粘涂层", "Non-Stick Coating"), ("铸铁", "Cast Iron")],
            ),
            tiered(DIMENSIONS, 10, &[("30cm", "30cm"), ("32cm", "32cm"), ("34cm", "34cm")]),
        ],
        retail_yuan: (99, 799),
        commission_bps: (1000, 2500),
    },
    Kind {
        category_id: 5631,
        category_leaf: "Household Storage Containers",
        nouns: &[("收纳箱", "Storage Box"), ("衣物收纳箱", "Clothes Storage Box")],
        brands: &[("禧天龙", "Citylong"), ("茶花", "Chahua"), ("爱丽思", "IRIS"), YANXUAN],
        attributes: &[
            attr(COLOUR, &[CLEAR, WHITE, GREY]),
            tiered(CAPACITY, 25, &[("30L", "30L"), ("60L", "60L"), ("100L", "100L")]),
        ],
        retail_yuan: (29, 199),
        commission_bps: (1000, 2500),
    },
    // Apparel, shoes and accessories.
    Kind {
        category_id: 187,
        category_leaf: "Shoes",
        nouns: &[("男款 跑步鞋", "Men's Running Shoes"), ("男款 缓震跑鞋", "Men's Cushioned Running Shoes")],
        brands: &[LI_NING, ANTA, ("特步", "Xtep"), NIKE, ADIDAS, ("361度", "361°")],
        attributes: &[
            attr(FEATURE, &[ ("透气", "Breathable"), ("轻量", "Lightweight"), ("防滑耐磨", "Grippy"), ]),
            attr(COLOUR, &[("黑白", "Black/White"), GREY, BLUE]),
            attr(SIZE, MEN_SHOE_SIZES),
        ],
        retail_yuan: (199, 899),
        commission_bps: (1000, 2500),
    },
    Kind {
        category_id: 187,
        category_leaf: "Shoes",
        nouns: &[("女款 跑步鞋", "Women's Running Shoes"), ("女款 休闲运动鞋", "Women's Casual Sneakers")],
        brands: &[LI_NING, ANTA, NIKE, ADIDAS, ("斯凯奇", "Skechers")],
        attributes: &[
            attr(FEATURE, &[("透气", "Breathable"), ("轻量", "Lightweight")]),
            attr(COLOUR, &[WHITE, PINK, ("燕麦色", "Oatmeal")]),
            attr(
                SIZE,
                &[
                    ("35码", "EU 35"),
                    ("36码", "EU 36"),
                    ("37码", "EU 37"),
                    ("38码", "EU 38"),
                    ("39码", "EU 39"),
                ],
            ),
        ],
        retail_yuan: (199, 899),
        commission_bps: (1000, 2500),
    },
    Kind {
        category_id: 187,
        category_leaf: "Shoes",
        nouns: &[("帆布鞋", "Canvas Shoes"), ("小白鞋", "White Sneakers")],
        brands: &[
            ("回力", "Warrior"),
            ("飞跃", "Feiyue"),
            ("匡威", "Converse"),
            ("万斯", "Vans"),
            ("鸿星尔克", "Erke"),
        ],
        attributes: &[attr(COLOUR, &[WHITE, BLACK]), attr(SIZE, ADULT_SHOE_SIZES)],
        retail_yuan: (59, 499),
        commission_bps: (1000, 3000),
    },
    Kind {
        category_id: 187,
        category_leaf: "Shoes",
        nouns: &[("拖鞋", "Slippers"), ("洞洞鞋", "Clogs")],
        brands: &[("卡骆驰", "Crocs"), ("回力", "Warrior"), YANXUAN, MUJI],
        attributes: &[
            attr(COLOUR, &[BLACK, WHITE, ("奶茶色", "Latte"), GREEN]),
            attr(
                SIZE,
                &[
                    ("36-37码", "EU 36-37"),
                    ("38-39码", "EU 38-39"),
                    ("40-41码", "EU 40-41"),
                    ("42-43码", "EU 42-43"),
                ],
            ),
        ],
        retail_yuan: (19, 399),
        commission_bps: (1500, 3500),
    },
    Kind {
        category_id: 212,
        category_leaf: "Shirts & Tops",
        nouns: &[
            ("男款 纯棉T恤", "Men's Cotton T-Shirt"),
            ("女款 短袖T恤", "Women's Short-Sleeve T-Shirt"),
            ("圆领T恤", "Crew Neck T-Shirt"),
        ],
        brands: &[UNIQLO, HLA, SEMIR, LI_NING, PEACEBIRD],
        attributes: &[attr(COLOUR, &[WHITE, BLACK, NAVY, GREY]), attr(SIZE, CLOTHING_SIZES)],
        retail_yuan: (39, 199),
        commission_bps: (1500, 3500),
    },
    Kind {
        category_id: 212,
        category_leaf: "Shirts & Tops",
        nouns: &[("男款 长袖衬衫", "Men's Long-Sleeve Shirt"), ("免烫衬衫", "Non-Iron Shirt")],
        brands: &[("雅戈尔", "Youngor"), HLA, UNIQLO, SEPTWOLVES],
        attributes: &[
            attr(COLOUR, &[WHITE, ("浅蓝", "Light Blue"), ("条纹", "Striped")]),
            attr(SIZE, &[ ("38", "38"), ("39", "39"), ("40", "40"), ("41", "41"), ("42", "42"), ]),
        ],
        retail_yuan: (99, 499),
        commission_bps: (1500, 3500),
    },
    Kind {
        category_id: 212,
        category_leaf: "Shirts & Tops",
        nouns: &[("连帽卫衣", "Hooded Sweatshirt"), ("圆领卫衣", "Crew Neck Sweatshirt")],
        brands: &[LI_NING, ANTA, SEMIR, NIKE, ADIDAS],
        attributes: &[
            attr(COLOUR, &[BLACK, GREY, ("燕麦色", "Oatmeal"), NAVY]),
            attr(SIZE, CLOTHING_SIZES),
        ],
        retail_yuan: (99, 599),
        commission_bps: (1500, 3500),
    },
    Kind {
        category_id: 204,
        category_leaf: "Pants",
        nouns: &[
            ("直筒牛仔裤", "Straight-Leg Jeans"),
            ("男款 休闲裤", "Men's Chinos"),
            ("女款 阔腿裤", "Women's Wide-Leg Trousers"),
        ],
        brands: &[("李维斯", "Levi's"), SEMIR, HLA, UNIQLO, PEACEBIRD],
        attributes: &[
            attr(COLOUR, &[("深蓝", "Dark Blue"), ("浅蓝", "Light Blue"), BLACK, KHAKI]),
            attr(
                SIZE,
                &[
                    ("28", "W28"),
                    ("29", "W29"),
                    ("30", "W30"),
                    ("31", "W31"),
                    ("32", "W32"),
                    ("33", "W33"),
                ],
            ),
        ],
        retail_yuan: (99, 599),
        commission_bps: (1500, 3500),
    },
    Kind {
        category_id: 2271,
        category_leaf: "Dresses",
        nouns: &[("连衣裙", "Dress"), ("碎花连衣裙", "Floral Dress"), ("法式茶歇裙", "French Tea Dress")],
        brands: &[PEACEBIRD, ("欧时力", "Ochirly"), ("伊芙丽", "Eifini"), ("秋水伊人", "Qiushuiyiren")],
        attributes: &[
            attr(COLOUR, &[BLACK, WHITE, ("杏色", "Apricot"), ("碎花", "Floral")]),
            attr(SIZE, &[("S", "S"), ("M", "M"), ("L", "L"), ("XL", "XL")]),
        ],
        retail_yuan: (129, 799),
        commission_bps: (1500, 3500),
    },
    Kind {
        category_id: 5598,
        category_leaf: "Coats & Jackets",
        nouns: &[
            ("羽绒服", "Down Jacket"),
            ("冲锋衣", "Waterproof Shell Jacket"),
            ("轻薄羽绒服", "Packable Down Jacket"),
        ],
        brands: &[
            ("波司登", "Bosideng"),
            ("鸭鸭", "Yaya"),
            CAMEL,
            THE_NORTH_FACE,
            ("雪中飞", "Snowflying"),
        ],
        attributes: &[
            attr(COLOUR, &[BLACK, NAVY, ("米白", "Off-White")]),
            attr(SIZE, CLOTHING_SIZES),
        ],
        retail_yuan: (299, 1999),
        commission_bps: (1000, 3000),
    },
    Kind {
        category_id: 209,
        category_leaf: "Socks",
        nouns: &[("中筒袜", "Crew Socks"), ("船袜", "No-Show Socks"), ("运动袜", "Sports Socks")],
        brands: &[NANJIREN, ("浪莎", "Langsha"), ("恒源祥", "Hengyuanxiang"), UNIQLO],
        attributes: &[
            attr(COLOUR, &[BLACK, WHITE, ("混色", "Assorted")]),
            tiered(SPEC, 80, &[("5双装", "5 Pairs"), ("10双装", "10 Pairs")]),
        ],
        retail_yuan: (19, 79),
        commission_bps: (2000, 4000),
    },
    Kind {
        category_id: 214,
        category_leaf: "Bras",
        nouns: &[("无钢圈文胸", "Wireless Bra"), ("无痕内衣", "Seamless Bra")],
        brands: &[("都市丽人", "Cosmo Lady"), ("内外", "NEIWAI"), ("曼妮芬", "Manifen"), BANANAIN],
        attributes: &[
            attr(COLOUR, &[("肤色", "Nude"), BLACK, WHITE, PINK]),
            attr(SIZE, &[ ("75B", "75B"), ("75C", "75C"), ("80B", "80B"), ("80C", "80C"), ]),
        ],
        retail_yuan: (59, 299),
        commission_bps: (2000, 4000),
    },
    Kind {
        category_id: 2580,
        category_leaf: "Pajamas",
        nouns: &[("睡衣套装", "Pajama Set"), ("家居服", "Loungewear Set")],
        brands: &[BANANAIN, NANJIREN, MUJI, ("猫人", "Maoren")],
        attributes: &[
            attr(COLOUR, &[GREY, PINK, ("浅蓝", "Light Blue")]),
            attr(SIZE, &[("M", "M"), ("L", "L"), ("XL", "XL"), ("XXL", "XXL")]),
        ],
        retail_yuan: (69, 399),
        commission_bps: (1500, 3500),
    },
    Kind {
        category_id: 100,
        category_leaf: "Backpacks",
        nouns: &[("双肩包", "Backpack"), ("电脑双肩包", "Laptop Backpack")],
        brands: &[SAMSONITE, XIAOMI, ("瑞士军刀", "Swissgear"), THE_NORTH_FACE],
        attributes: &[
            attr(COLOUR, &[BLACK, GREY, NAVY]),
            tiered(
                ("适用电脑", "Laptop Size"),
                10,
                &[("14英寸", "14-Inch"), ("15.6英寸", "15.6-Inch"), ("17英寸", "17-Inch")],
            ),
        ],
        retail_yuan: (99, 899),
        commission_bps: (1000, 3000),
    },
    Kind {
        category_id: 3032,
        category_leaf: "Handbags",
        nouns: &[("托特包", "Tote Bag"), ("斜挎包", "Crossbody Bag"), ("女士手提包", "Women's Handbag")],
        brands: &[
            COACH,
            ("迈克高仕", "Michael Kors"),
            ("小CK", "Charles & Keith"),
            ("古良吉吉", "Guliang Jiji"),
        ],
        attributes: &[
            attr(COLOUR, &[BLACK, ("杏色", "Apricot"), ("酒红", "Burgundy"), WHITE]),
            tiered(DIMENSIONS, 20, &[("小号", "Small"), ("中号", "Medium")]),
        ],
        retail_yuan: (199, 2999),
        commission_bps: (1000, 3000),
    },
    Kind {
        category_id: 2668,
        category_leaf: "Wallets & Money Clips",
        nouns: &[("男士钱包", "Men's Wallet"), ("真皮钱包", "Leather Wallet")],
        brands: &[SEPTWOLVES, ("金利来", "Goldlion"), COACH],
        attributes: &[
            attr(COLOUR, &[BLACK, ("棕色", "Brown")]),
            tiered(STYLE, 15, &[("短款", "Bifold"), ("长款", "Long")]),
        ],
        retail_yuan: (99, 999),
        commission_bps: (1500, 3500),
    },
    Kind {
        category_id: 178,
        category_leaf: "Sunglasses",
        nouns: &[("太阳镜", "Sunglasses"), ("偏光墨镜", "Polarised Sunglasses")],
        brands: &[("雷朋", "Ray-Ban"), ("暴龙", "Bolon"), ("帕莎", "Prsr"), ("陌森", "Molsion")],
        attributes: &[
            attr(("镜框", "Frame"), &[("金属框", "Metal Frame"), ("板材框", "Acetate Frame")]),
            attr(COLOUR, &[BLACK, ("茶色", "Tea Brown"), GREY]),
        ],
        retail_yuan: (129, 1599),
        commission_bps: (1500, 3500),
    },
    Kind {
        category_id: 173,
        category_leaf: "Hats",
        nouns: &[("棒球帽", "Baseball Cap"), ("渔夫帽", "Bucket Hat")],
        brands: &[LI_NING, NIKE, ("MLB", "MLB"), ("新纪元", "New Era")],
        attributes: &[
            attr(COLOUR, &[BLACK, WHITE, KHAKI, NAVY]),
            attr(SIZE, &[("可调节", "Adjustable")]),
        ],
        retail_yuan: (49, 299),
        commission_bps: (1500, 3500),
    },
    Kind {
        category_id: 201,
        category_leaf: "Watches",
        nouns: &[("机械表", "Automatic Watch"), ("石英表", "Quartz Watch")],
        brands: &[
            ("天梭", "Tissot"),
            ("浪琴", "Longines"),
            ("卡西欧", "Casio"),
            ("西铁城", "Citizen"),
            ("飞亚达", "Fiyta"),
        ],
        attributes: &[
            attr(
                ("表盘", "Dial"),
                &[("黑盘", "Black Dial"), ("白盘", "White Dial"), ("蓝盘", "Blue Dial")],
            ),
            tiered(("表带", "Strap"), 10, &[("皮带", "Leather Strap"), ("钢带", "Steel Bracelet")]),
        ],
        retail_yuan: (299, 9999),
        commission_bps: (500, 2000),
    },
    Kind {
        category_id: 196,
        category_leaf: "Necklaces",
        nouns: &[("项链", "Necklace"), ("锁骨链", "Collarbone Necklace")],
        brands: &[
            ("周大福", "Chow Tai Fook"),
            ("周生生", "Chow Sang Sang"),
            ("老凤祥", "Lao Feng Xiang"),
            ("潘多拉", "Pandora"),
            ("施华洛世奇", "Swarovski"),
        ],
        attributes: &[
            tiered(MATERIAL, 300, &[("925银", "925 Silver"), ("18K金", "18K Gold")]),
            attr(("长度", "Length"), &[("40cm", "40cm"), ("45cm", "45cm")]),
        ],
        retail_yuan: (199, 1999),
        commission_bps: (500, 2000),
    },
    Kind {
        category_id: 107,
        category_leaf: "Suitcases",
        nouns: &[("拉杆箱", "Trolley Case"), ("行李箱", "Suitcase")],
        brands: &[SAMSONITE, ("美旅", "American Tourister"), ("90分", "90FUN"), ("外交官", "Diplomat")],
        attributes: &[
            attr(COLOUR, &[BLACK, SILVER, BLUE]),
            tiered(
                DIMENSIONS,
                15,
                &[("20英寸", "20-Inch"), ("24英寸", "24-Inch"), ("28英寸", "28-Inch")],
            ),
        ],
        retail_yuan: (299, 2999),
        commission_bps: (1000, 3000),
    },
    // Food and drink.
    Kind {
        category_id: 433,
        category_leaf: "Nuts & Seeds",
        nouns: &[
            ("每日坚果", "Daily Mixed Nuts"),
            ("坚果礼盒", "Nut Gift Box"),
            ("夏威夷果", "Macadamia Nuts"),
        ],
        brands: &[THREE_SQUIRRELS, BESTORE, BE_AND_CHEERY, ("沃隆", "Wolong"), ("洽洽", "ChaCha")],
        attributes: &[
            tiered(NET_WEIGHT, 35, &[("750g", "750g"), ("1kg", "1kg"), ("1.5kg", "1.5kg")]),
            attr(PACKAGING, &[GIFT_BOX, BAG]),
        ],
        retail_yuan: (49, 299),
        commission_bps: (1500, 3000),
    },
    Kind {
        category_id: 418,
        category_leaf: "Milk",
        nouns: &[("纯牛奶", "Whole Milk"), ("高钙牛奶", "High-Calcium Milk")],
        brands: &[YILI, MENGNIU, ("特仑苏", "Telunsu"), BRIGHT, ("认养一头牛", "Adopt a Cow")],
        attributes: &[
            attr(PACKAGING, &[("礼盒装", "Gift Box"), ("整箱", "Case")]),
            tiered(SPEC, 90, &[("250ml×12盒", "250ml × 12"), ("250ml×24盒", "250ml × 24")]),
        ],
        retail_yuan: (39, 129),
        commission_bps: (1000, 2500),
    },
    Kind {
        category_id: 1954,
        category_leaf: "Yogurt",
        nouns: &[("常温酸奶", "Shelf-Stable Yogurt"), ("希腊酸奶", "Greek Yogurt")],
        brands: &[("安慕希", "Ambrosial"), ("纯甄", "Just Yoghurt"), ("简爱", "Simplelove"), BRIGHT],
        attributes: &[
            attr(FLAVOUR, &[ ("原味", "Plain"), ("黄桃", "Yellow Peach"), ("草莓", "Strawberry"), ]),
            tiered(SPEC, 60, &[("200g×10盒", "200g × 10"), ("200g×16盒", "200g × 16")]),
        ],
        retail_yuan: (39, 119),
        commission_bps: (1000, 2500),
    },
    Kind {
        category_id: 2073,
        category_leaf: "Tea & Infusions",
        nouns: &[
            ("明前龙井", "Longjing Green Tea"),
            ("普洱茶", "Pu'er Tea"),
            ("铁观音", "Tieguanyin Oolong"),
        ],
        brands: &[("八马", "Bama"), ("张一元", "Zhangyiyuan"), ("大益", "Taetea"), ("天福茗茶", "Tenfu")],
        attributes: &[
            attr(PACKAGING, &[GIFT_BOX, ("罐装", "Tin")]),
            tiered(NET_WEIGHT, 60, &[("100g", "100g"), ("250g", "250g"), ("500g", "500g")]),
        ],
        retail_yuan: (59, 799),
        commission_bps: (1500, 4000),
    },
    Kind {
        category_id: 1868,
        category_leaf: "Coffee",
        nouns: &[
            ("挂耳咖啡", "Drip Coffee Bags"),
            ("冻干咖啡", "Freeze-Dried Coffee"),
            ("速溶咖啡", "Instant Coffee"),
        ],
        brands: &[("雀巢", "Nescafé"), ("三顿半", "Saturnbird"), ("瑞幸", "Luckin"), ("星巴克", "Starbucks")],
        attributes: &[
            attr(FLAVOUR, &[ ("美式", "Americano"), ("拿铁", "Latte"), ("深度烘焙", "Dark Roast"), ]),
            tiered(
                SPEC,
                60,
                &[("10袋", "10 Sachets"), ("30袋", "30 Sachets"), ("50袋", "50 Sachets")],
            ),
        ],
        retail_yuan: (29, 199),
        commission_bps: (1500, 3500),
    },
    Kind {
        category_id: 4682,
        category_leaf: "Rice",
        nouns: &[
            ("五常大米", "Wuchang Rice"),
            ("东北大米", "Northeast Rice"),
            ("泰国香米", "Thai Jasmine Rice"),
        ],
        brands: &[FORTUNE, ARAWANA, ("十月稻田", "Shiyue Daotian"), ("柴火大院", "Chaihuo Dayuan")],
        attributes: &[
            attr(PACKAGING, &[("真空包装", "Vacuum Packed"), BAG]),
            tiered(NET_WEIGHT, 90, &[("5kg", "5kg"), ("10kg", "10kg")]),
        ],
        retail_yuan: (39, 199),
        commission_bps: (800, 2000),
    },
    Kind {
        category_id: 434,
        category_leaf: "Pasta & Noodles",
        nouns: &[("方便面", "Instant Noodles"), ("非油炸拉面", "Non-Fried Ramen")],
        brands: &[
            ("康师傅", "Master Kong"),
            ("统一", "Uni-President"),
            ("白象", "Baixiang"),
            ("日清", "Nissin"),
        ],
        attributes: &[
            attr(
                FLAVOUR,
                &[("红烧牛肉", "Braised Beef"), ("老坛酸菜", "Pickled Cabbage"), ("香辣", "Hot and Spicy")],
            ),
            tiered(SPEC, 250, &[("5袋装", "5 Packs"), ("24袋整箱", "Case of 24")]),
        ],
        retail_yuan: (15, 39),
        commission_bps: (1000, 2500),
    },
    Kind {
        category_id: 4748,
        category_leaf: "Candy & Chocolate",
        nouns: &[("巧克力", "Chocolate"), ("黑巧克力", "Dark Chocolate"), ("巧克力礼盒", "Chocolate Gift Box")],
        brands: &[("德芙", "Dove"), ("费列罗", "Ferrero"), ("瑞士莲", "Lindt"), ("好时", "Hershey's")],
        attributes: &[
            attr(FLAVOUR, &[ ("牛奶", "Milk"), ("70%黑巧", "70% Dark"), ("榛仁", "Hazelnut"), ]),
            tiered(NET_WEIGHT, 100, &[("200g", "200g"), ("500g", "500g")]),
        ],
        retail_yuan: (29, 199),
        commission_bps: (1500, 3000),
    },
    Kind {
        category_id: 2229,
        category_leaf: "Cookies",
        nouns: &[("黄油曲奇", "Butter Cookies"), ("夹心饼干", "Sandwich Cookies")],
        brands: &[("奥利奥", "Oreo"), ("丹麦蓝罐", "Kjeldsens"), ("嘉士利", "Jiashili"), ("达利园", "Daliyuan")],
        attributes: &[
            attr(PACKAGING, &[("铁盒礼盒", "Gift Tin"), BAG]),
            tiered(NET_WEIGHT, 40, &[("300g", "300g"), ("500g", "500g"), ("908g", "908g")]),
        ],
        retail_yuan: (19, 149),
        commission_bps: (1500, 3000),
    },
    Kind {
        category_id: 3284,
        category_leaf: "Jerky",
        nouns: &[("牛肉干", "Beef Jerky"), ("风干牛肉", "Air-Dried Beef")],
        brands: &[("科尔沁", "Kerchin"), THREE_SQUIRRELS, BESTORE, BE_AND_CHEERY],
        attributes: &[
            attr(FLAVOUR, &[ ("五香", "Five-Spice"), ("麻辣", "Sichuan Spicy"), ("原味", "Original"), ]),
            tiered(NET_WEIGHT, 70, &[("100g", "100g"), ("250g", "250g"), ("500g", "500g")]),
        ],
        retail_yuan: (29, 199),
        commission_bps: (1500, 3000),
    },
    Kind {
        category_id: 2392,
        category_leaf: "Chips",
        nouns: &[("薯片", "Potato Chips"), ("薯片大礼包", "Potato Chips Party Pack")],
        brands: &[("乐事", "Lay's"), ("可比克", "Copico"), ("品客", "Pringles"), ("上好佳", "Oishi")],
        attributes: &[
            attr(
                FLAVOUR,
                &[("原味", "Original"), ("黄瓜味", "Cucumber"), ("番茄味", "Tomato"), ("烧烤味", "Barbecue")],
            ),
            tiered(SPEC, 90, &[("6袋装", "6 Bags"), ("12袋装", "12 Bags")]),
        ],
        retail_yuan: (19, 79),
        commission_bps: (1500, 3000),
    },
    Kind {
        category_id: 421,
        category_leaf: "Wine",
        nouns: &[("干红葡萄酒", "Dry Red Wine"), ("赤霞珠红酒", "Cabernet Sauvignon")],
        brands: &[
            ("张裕", "Changyu"),
            ("长城", "Great Wall"),
            ("奔富", "Penfolds"),
            ("黄尾袋鼠", "Yellow Tail"),
        ],
        attributes: &[
            attr(
                ("产区", "Region"),
                &[("宁夏", "Ningxia"), ("澳大利亚", "Australia"), ("法国", "France")],
            ),
            tiered(SPEC, 450, &[("750ml×1瓶", "750ml × 1"), ("750ml×6瓶", "750ml × 6")]),
        ],
        retail_yuan: (69, 999),
        commission_bps: (1500, 4000),
    },
    Kind {
        category_id: 414,
        category_leaf: "Beer",
        nouns: &[("啤酒", "Beer"), ("精酿啤酒", "Craft Beer")],
        brands: &[("青岛啤酒", "Tsingtao"), ("雪花", "Snow"), ("百威", "Budweiser"), ("燕京", "Yanjing")],
        attributes: &[
            attr(("类型", "Style"), &[ ("拉格", "Lager"), ("小麦白啤", "Wheat"), ("原浆", "Unfiltered"), ]),
            tiered(
                SPEC,
                60,
                &[("500ml×12听", "500ml × 12 Cans"), ("330ml×24听", "330ml × 24 Cans")],
            ),
        ],
        retail_yuan: (39, 199),
        commission_bps: (1000, 2500),
    },
    Kind {
        category_id: 543533,
        category_leaf: "Flat Mineral Water",
        nouns: &[("天然矿泉水", "Natural Mineral Water"), ("饮用天然水", "Natural Drinking Water")],
        brands: &[NONGFU, ("百岁山", "Ganten"), ("依云", "Evian"), ("景田", "Jingtian")],
        attributes: &[
            attr(PACKAGING, &[("整箱", "Case"), ("家庭装", "Family Pack")]),
            tiered(SPEC, 30, &[("550ml×24瓶", "550ml × 24"), ("1.5L×12瓶", "1.5L × 12")]),
        ],
        retail_yuan: (29, 89),
        commission_bps: (800, 2000),
    },
    Kind {
        category_id: 4947,
        category_leaf: "Honey",
        nouns: &[("蜂蜜", "Honey"), ("洋槐蜜", "Acacia Honey"), ("麦卢卡蜂蜜", "Manuka Honey")],
        brands: &[
            ("冠生园", "Guanshengyuan"),
            ("百花", "Baihua"),
            ("康维他", "Comvita"),
            ("汪氏", "Wangshi"),
        ],
        attributes: &[
            attr(PACKAGING, &[("瓶装", "Jar"), GIFT_BOX]),
            tiered(NET_WEIGHT, 80, &[("500g", "500g"), ("1kg", "1kg")]),
        ],
        retail_yuan: (39, 399),
        commission_bps: (1500, 3500),
    },
    Kind {
        category_id: 2126,
        category_leaf: "Cooking Oils",
        nouns: &[("花生油", "Peanut Oil"), ("菜籽油", "Rapeseed Oil"), ("食用调和油", "Blended Cooking Oil")],
        brands: &[ARAWANA, ("鲁花", "Luhua"), FORTUNE, ("多力", "Duoli")],
        attributes: &[
            attr(("等级", "Grade"), &[("压榨一级", "Pressed Grade 1"), ("一级", "Grade 1")]),
            tiered(SPEC, 100, &[("1.8L", "1.8L"), ("5L", "5L"), ("6.18L", "6.18L")]),
        ],
        retail_yuan: (29, 199),
        commission_bps: (800, 2000),
    },
    Kind {
        category_id: 5750,
        category_leaf: "Pastries & Scones",
        nouns: &[("月饼礼盒", "Mooncake Gift Box"), ("广式月饼", "Cantonese Mooncakes")],
        brands: &[
            ("稻香村", "Daoxiangcun"),
            ("美心", "Maxim's"),
            ("广州酒家", "Guangzhou Restaurant"),
            ("五芳斋", "Wufangzhai"),
        ],
        attributes: &[
            attr(
                FLAVOUR,
                &[("五仁", "Five Kernel"), ("莲蓉蛋黄", "Lotus Seed and Yolk"), ("豆沙", "Red Bean")],
            ),
            tiered(SPEC, 30, &[("6饼", "6 Cakes"), ("8饼", "8 Cakes")]),
        ],
        retail_yuan: (69, 399),
        commission_bps: (1500, 3500),
    },
    Kind {
        category_id: 6658,
        category_leaf: "Oranges",
        nouns: &[("赣南脐橙", "Gannan Navel Oranges"), ("冰糖橙", "Rock Sugar Oranges")],
        brands: &[("褚橙", "Chu Orange"), NONGFU, ("百果园", "Pagoda")],
        attributes: &[
            tiered(
                ("果径", "Fruit Size"),
                10,
                &[("65-70mm", "65-70mm"), ("70-75mm", "70-75mm"), ("75-80mm", "75-80mm")],
            ),
            tiered(NET_WEIGHT, 80, &[("5斤", "2.5kg"), ("10斤", "5kg")]),
        ],
        retail_yuan: (29, 129),
        commission_bps: (1000, 3000),
    },
    // Baby, pets, sport, toys and office.
    Kind {
        category_id: 551,
        category_leaf: "Diapers",
        nouns: &[("纸尿裤", "Diapers"), ("拉拉裤", "Pull-Up Pants")],
        brands: &[("帮宝适", "Pampers"), ("好奇", "Huggies"), ("花王", "Merries"), BABYCARE],
        attributes: &[
            attr(SIZE, &[("S码", "S"), ("M码", "M"), ("L码", "L"), ("XL码", "XL")]),
            tiered(SPEC, 250, &[("单包", "Single Pack"), ("整箱4包", "Case of 4")]),
        ],
        retail_yuan: (69, 199),
        commission_bps: (800, 2000),
    },
    Kind {
        category_id: 563,
        category_leaf: "Baby Formula",
        nouns: &[("婴幼儿配方奶粉", "Infant Formula"), ("有机奶粉", "Organic Infant Formula")],
        brands: &[
            ("飞鹤", "Feihe"),
            ("爱他美", "Aptamil"),
            ("美赞臣", "Enfamil"),
            ("君乐宝", "Junlebao"),
            YILI,
        ],
        attributes: &[
            attr(("段位", "Stage"), &[("1段", "Stage 1"), ("2段", "Stage 2"), ("3段", "Stage 3")]),
            tiered(SPEC, 450, &[("800g×1罐", "800g × 1"), ("800g×6罐", "800g × 6")]),
        ],
        retail_yuan: (199, 499),
        commission_bps: (500, 1500),
    },
    Kind {
        category_id: 564,
        category_leaf: "Baby Bottles",
        nouns: &[("奶瓶", "Baby Bottle"), ("宽口径奶瓶", "Wide-Neck Baby Bottle")],
        brands: &[("贝亲", "Pigeon"), ("新安怡", "Avent"), ("可么多么", "Comotomo"), BABYCARE],
        attributes: &[
            attr(MATERIAL, &[("PPSU", "PPSU"), ("玻璃", "Glass")]),
            tiered(CAPACITY, 10, &[("160ml", "160ml"), ("240ml", "240ml"), ("300ml", "300ml")]),
        ],
        retail_yuan: (49, 199),
        commission_bps: (1000, 2500),
    },
    Kind {
        category_id: 543684,
        category_leaf: "Non-prescription Cat Food",
        nouns: &[("全价猫粮", "Complete Cat Food"), ("冻干双拼猫粮", "Freeze-Dried Mix Cat Food")],
        brands: &[ROYAL_CANIN, ("渴望", "Orijen"), YANXUAN, MYFOODIE],
        attributes: &[
            attr(("适用阶段", "Life Stage"), &[("幼猫", "Kitten"), ("成猫", "Adult")]),
            tiered(NET_WEIGHT, 120, &[("1.5kg", "1.5kg"), ("4kg", "4kg"), ("10kg", "10kg")]),
        ],
        retail_yuan: (69, 399),
        commission_bps: (1000, 3000),
    },
    Kind {
        category_id: 543682,
        category_leaf: "Non-prescription Dog Food",
        nouns: &[("全价狗粮", "Complete Dog Food"), ("天然狗粮", "Natural Dog Food")],
        brands: &[ROYAL_CANIN, ("冠能", "Pro Plan"), MYFOODIE, ("比瑞吉", "Nature Bridge")],
        attributes: &[
            attr(
                ("适用体型", "Breed Size"),
                &[("小型犬", "Small Breed"), ("中大型犬", "Medium and Large Breed")],
            ),
            attr(("适用阶段", "Life Stage"), &[("幼犬", "Puppy"), ("成犬", "Adult")]),
            tiered(NET_WEIGHT, 250, &[("2kg", "2kg"), ("10kg", "10kg")]),
        ],
        retail_yuan: (59, 399),
        commission_bps: (1000, 3000),
    },
    Kind {
        category_id: 4999,
        category_leaf: "Cat Litter",
        nouns: &[("猫砂", "Cat Litter"), ("豆腐猫砂", "Tofu Cat Litter")],
        brands: &[("福丸", "Fuwan"), YANXUAN, ("小佩", "Petkit"), MYFOODIE],
        attributes: &[
            attr(("类型", "Type"), &[ ("豆腐砂", "Tofu"), ("膨润土", "Bentonite"), ("混合砂", "Mixed"), ]),
            tiered(NET_WEIGHT, 250, &[("2.5kg", "2.5kg"), ("10kg", "10kg")]),
        ],
        retail_yuan: (19, 129),
        commission_bps: (1000, 3000),
    },
    Kind {
        category_id: 3640,
        category_leaf: "Yoga & Pilates Mats",
        nouns: &[("瑜伽垫", "Yoga Mat"), ("加宽健身垫", "Wide Exercise Mat")],
        brands: &[KEEP, DECATHLON, LI_NING, ("lululemon", "lululemon")],
        attributes: &[
            attr(COLOUR, &[("紫色", "Purple"), NAVY, PINK, GREEN]),
            tiered(("厚度", "Thickness"), 10, &[("6mm", "6mm"), ("8mm", "8mm"), ("10mm", "10mm")]),
        ],
        retail_yuan: (49, 599),
        commission_bps: (1000, 3000),
    },
    Kind {
        category_id: 3164,
        category_leaf: "Free Weights",
        nouns: &[("哑铃", "Dumbbells"), ("可调节哑铃", "Adjustable Dumbbells")],
        brands: &[DECATHLON, KEEP, LI_NING, ("舒华", "Shuhua")],
        attributes: &[
            attr(MATERIAL, &[("包胶", "Rubber-Coated"), ("电镀", "Chrome")]),
            tiered(
                ("重量", "Weight"),
                80,
                &[("5kg×2", "5kg × 2"), ("10kg×2", "10kg × 2"), ("20kg×2", "20kg × 2")],
            ),
        ],
        retail_yuan: (59, 999),
        commission_bps: (800, 2500),
    },
    Kind {
        category_id: 3950,
        category_leaf: "Badminton Racquets & Sets",
        nouns: &[("羽毛球拍", "Badminton Racquet"), ("全碳素羽毛球拍", "Carbon Badminton Racquet")],
        brands: &[("尤尼克斯", "Yonex"), LI_NING, ("威克多", "Victor"), ("川崎", "Kawasaki")],
        attributes: &[
            attr(COLOUR, &[BLUE, RED, WHITE]),
            tiered(SPEC, 80, &[("单拍", "Single Racquet"), ("双拍", "Pair")]),
        ],
        retail_yuan: (99, 1299),
        commission_bps: (800, 2500),
    },
    Kind {
        category_id: 1026,
        category_leaf: "Bicycles",
        nouns: &[
            ("山地自行车", "Mountain Bike"),
            ("城市通勤自行车", "City Commuter Bike"),
            ("折叠自行车", "Folding Bike"),
        ],
        brands: &[
            ("捷安特", "Giant"),
            ("美利达", "Merida"),
            ("永久", "Forever"),
            ("凤凰", "Phoenix"),
            ("喜德盛", "Xidesheng"),
        ],
        attributes: &[
            attr(("轮径", "Wheel Size"), &[("26英寸", "26-Inch"), ("27.5英寸", "27.5-Inch")]),
            tiered(
                ("变速", "Gears"),
                12,
                &[("21速", "21-Speed"), ("24速", "24-Speed"), ("27速", "27-Speed")],
            ),
        ],
        retail_yuan: (699, 3999),
        commission_bps: (300, 1500),
    },
    Kind {
        category_id: 1022,
        category_leaf: "Tents",
        nouns: &[("露营帐篷", "Camping Tent"), ("自动速开帐篷", "Instant Pop-Up Tent")],
        brands: &[
            ("牧高笛", "Mobi Garden"),
            CAMEL,
            DECATHLON,
            ("探路者", "Toread"),
            ("挪客", "Naturehike"),
        ],
        attributes: &[
            attr(COLOUR, &[("军绿", "Army Green"), KHAKI]),
            tiered(
                ("适用人数", "Sleeps"),
                40,
                &[("2人", "2-Person"), ("3-4人", "3-4 Person"), ("5-8人", "5-8 Person")],
            ),
        ],
        retail_yuan: (199, 1999),
        commission_bps: (800, 2500),
    },
    Kind {
        category_id: 3805,
        category_leaf: "Construction Set Toys",
        nouns: &[("拼装积木", "Building Blocks Set"), ("积木", "Building Blocks")],
        brands: &[("乐高", "LEGO"), ("森宝", "Sembo"), ("布鲁可", "Blokees"), ("启蒙", "Enlighten")],
        attributes: &[
            attr(("适用年龄", "Age"), &[("3岁+", "3+"), ("6岁+", "6+"), ("12岁+", "12+")]),
            tiered(
                ("颗粒数", "Pieces"),
                60,
                &[("300颗粒", "300 Pieces"), ("800颗粒", "800 Pieces"), ("1500颗粒", "1500 Pieces")],
            ),
        ],
        retail_yuan: (99, 999),
        commission_bps: (1000, 3000),
    },
    Kind {
        category_id: 1259,
        category_leaf: "Stuffed Animals",
        nouns: &[("毛绒玩具", "Plush Toy"), ("安抚公仔", "Cuddly Plush Doll")],
        brands: &[
            ("迪士尼", "Disney"),
            ("泡泡玛特", "Pop Mart"),
            ("名创优品", "Miniso"),
            ("Jellycat", "Jellycat"),
        ],
        attributes: &[
            attr(STYLE, &[("小熊", "Bear"), ("兔子", "Bunny"), ("柴犬", "Shiba Inu")]),
            tiered(DIMENSIONS, 40, &[("30cm", "30cm"), ("45cm", "45cm"), ("60cm", "60cm")]),
        ],
        retail_yuan: (39, 299),
        commission_bps: (1500, 3500),
    },
    Kind {
        category_id: 961,
        category_leaf: "Notebooks & Notepads",
        nouns: &[("笔记本", "Notebook"), ("活页本", "Loose-Leaf Notebook")],
        brands: &[("得力", "Deli"), ("晨光", "M&G"), ("国誉", "Kokuyo"), ("齐心", "Comix")],
        attributes: &[
            attr(SPEC, &[("A5", "A5"), ("B5", "B5")]),
            tiered(PACKAGING, 120, &[("4本装", "4-Pack"), ("10本装", "10-Pack")]),
        ],
        retail_yuan: (9, 59),
        commission_bps: (1500, 3500),
    },
];
