import SatchelCore

/// A realistic primary-school catalog for search tests: real lesson and unit titles of the PEP (人教版) maths and
/// English, unified (统编版) Chinese and 教科版 science textbooks, grades 1-6, each lesson as a 课件 and some also
/// as a 微课 video or a 练习, with the long descriptions publishers write.
enum PrimaryCatalog {
    /// One textbook volume: its classification and lessons, each `title#tag,tag#English title`.
    struct Volume {
        var subject: String
        var edition: String
        var grade: String
        var term: String
        var lessons: String
    }

    static let grades = ["一年级", "二年级", "三年级", "四年级", "五年级", "六年级"]

    static let volumes: [Volume] = [
        Volume(
            subject: "数学", edition: "人教版", grade: "一年级", term: "上册",
            lessons: """
                数一数#准备课,数数#Counting|比多少#准备课,比较#More and fewer|位置#上下,前后,左右#Position|\
                1~5的认识和加减法#加法,减法,10以内#Numbers 1 to 5|认识图形（一）#立体图形,长方体,球#Shapes (1)|\
                6~10的认识和加减法#加法,减法,10以内#Numbers 6 to 10|11~20各数的认识#数位,计数#Numbers 11 to 20|\
                认识钟表#整时,钟面#Telling the time|20以内的进位加法#凑十法,9加几#Addition with carrying within 20
                """),
        Volume(
            subject: "数学", edition: "人教版", grade: "一年级", term: "下册",
            lessons: """
                认识图形（二）#平面图形,长方形,正方形#Shapes (2)|20以内的退位减法#十几减9,破十法#Subtraction within 20|\
                分类与整理#分类,统计#Sorting|100以内数的认识#数位,计数器#Numbers to 100|\
                认识人民币#元角分,购物#Chinese money|100以内的加法和减法（一）#口算,两位数#Adding and subtracting to 100|\
                找规律#规律,图形#Patterns
                """),
        Volume(
            subject: "数学", edition: "人教版", grade: "二年级", term: "上册",
            lessons: """
                长度单位#厘米,米,测量#Units of length|100以内的加法和减法（二）#笔算,进位,退位#Written addition to 100|\
                角的初步认识#直角,锐角,钝角#Angles|表内乘法（一）#乘法口诀,2-6的乘法#Times tables (1)|\
                观察物体（一）#观察,视角#Looking at objects (1)|表内乘法（二）#乘法口诀,7-9的乘法#Times tables (2)|\
                认识时间#时,分,钟面#Time|数学广角——搭配（一）#排列,组合#Combinations (1)
                """),
        Volume(
            subject: "数学", edition: "人教版", grade: "二年级", term: "下册",
            lessons: """
                数据收集整理#统计,调查#Collecting data|表内除法（一）#平均分,除法#Division (1)|\
                图形的运动（一）#轴对称,平移,旋转#Moving shapes (1)|表内除法（二）#乘法口诀求商#Division (2)|\
                混合运算#运算顺序,小括号#Mixed operations|有余数的除法#余数,竖式#Division with remainders|\
                万以内数的认识#千,万,近似数#Numbers to 10000|克和千克#质量,称#Grams and kilograms|\
                数学广角——推理#逻辑推理#Reasoning
                """),
        Volume(
            subject: "数学", edition: "人教版", grade: "三年级", term: "上册",
            lessons: """
                时、分、秒#时间单位,秒的认识,经过时间#Hours, minutes and seconds|\
                万以内的加法和减法（一）#口算,估算#Adding and subtracting to 10000 (1)|测量#毫米,分米,千米,吨#Measuring|\
                万以内的加法和减法（二）#笔算,验算#Adding and subtracting to 10000 (2)|倍的认识#倍数关系#Times as many|\
                多位数乘一位数#口算乘法,笔算乘法#Multiplying by one digit|\
                长方形和正方形的周长#周长,四边形#Perimeter of rectangles and squares|\
                分数的初步认识#几分之一,分数#A first look at fractions|数学广角——集合#集合,韦恩图#Sets
                """),
        Volume(
            subject: "数学", edition: "人教版", grade: "三年级", term: "下册",
            lessons: """
                位置与方向（一）#东南西北,方向#Position and direction (1)|除数是一位数的除法#口算除法,笔算除法#Dividing by one digit|\
                复式统计表#统计表#Compound tables|两位数乘两位数#口算乘法,笔算乘法#Two-digit multiplication|\
                长方形和正方形的面积#面积单位,平方厘米#Area of rectangles and squares|年、月、日#平年,闰年,24时计时法#Years, months and days|\
                小数的初步认识#小数,元角分#A first look at decimals|数学广角——搭配（二）#搭配,组合#Combinations (2)
                """),
        Volume(
            subject: "数学", edition: "人教版", grade: "四年级", term: "上册",
            lessons: """
                大数的认识#亿以内,计数单位#Large numbers|公顷和平方千米#面积单位#Hectares and square kilometres|\
                角的度量#量角器,线段,射线#Measuring angles|三位数乘两位数#笔算乘法#Three-digit by two-digit multiplication|\
                平行四边形和梯形#平行,垂直#Parallelograms and trapezoids|除数是两位数的除法#试商#Dividing by two digits|\
                条形统计图#统计图#Bar charts|数学广角——优化#沏茶问题,烙饼问题#Optimisation
                """),
        Volume(
            subject: "数学", edition: "人教版", grade: "四年级", term: "下册",
            lessons: """
                四则运算#运算顺序,括号#The four operations|观察物体（二）#观察#Looking at objects (2)|\
                运算定律#加法交换律,乘法分配律,简便计算#Laws of arithmetic|小数的意义和性质#小数,小数点移动#Decimals|\
                三角形#三角形内角和,三角形分类#Triangles|小数的加法和减法#小数加减法#Adding and subtracting decimals|\
                图形的运动（二）#轴对称,平移#Moving shapes (2)|平均数与条形统计图#平均数#Averages|\
                数学广角——鸡兔同笼#鸡兔同笼,假设法#Chickens and rabbits
                """),
        Volume(
            subject: "数学", edition: "人教版", grade: "五年级", term: "上册",
            lessons: """
                小数乘法#积的近似数#Multiplying decimals|位置#数对#Position with pairs|小数除法#循环小数#Dividing decimals|\
                可能性#可能性大小#Probability|简易方程#解方程,用字母表示数#Simple equations|\
                多边形的面积#平行四边形的面积,三角形的面积,梯形的面积#Area of polygons|\
                数学广角——植树问题#植树问题,间隔#Planting trees
                """),
        Volume(
            subject: "数学", edition: "人教版", grade: "五年级", term: "下册",
            lessons: """
                观察物体（三）#观察#Looking at objects (3)|因数与倍数#质数,合数,2、3、5的倍数#Factors and multiples|\
                长方体和正方体#表面积,体积,容积#Cuboids and cubes|分数的意义和性质#约分,通分,真分数#Fractions|\
                图形的运动（三）#旋转#Moving shapes (3)|分数的加法和减法#异分母分数加减法#Adding and subtracting fractions|\
                折线统计图#统计图#Line charts|数学广角——找次品#找次品,优化#Finding the odd one
                """),
        Volume(
            subject: "数学", edition: "人教版", grade: "六年级", term: "上册",
            lessons: """
                位置与方向（二）#方向,距离#Position and direction (2)|分数乘法#分数乘整数#Multiplying fractions|\
                分数除法#倒数#Dividing fractions|比#比的意义,按比分配#Ratio|圆#圆的周长,圆的面积,圆周率#Circles|\
                百分数（一）#百分率#Percentages (1)|扇形统计图#统计图#Pie charts|数学广角——数与形#数形结合#Numbers and shapes
                """),
        Volume(
            subject: "数学", edition: "人教版", grade: "六年级", term: "下册",
            lessons: """
                负数#正数,负数,数轴#Negative numbers|百分数（二）#折扣,成数,税率,利率#Percentages (2)|\
                圆柱与圆锥#圆柱的体积,圆锥的体积#Cylinders and cones|比例#正比例,反比例,比例尺#Proportion|\
                数学广角——鸽巢问题#抽屉原理#The pigeonhole principle
                """),
        Volume(
            subject: "语文", edition: "统编版", grade: "一年级", term: "上册",
            lessons: """
                天地人#识字#Sky, earth, people|金木水火土#识字#Five elements|口耳目#识字,象形字#Mouth, ear, eye|\
                a o e#汉语拼音,单韵母#Pinyin a o e|b p m f#汉语拼音,声母#Pinyin b p m f|\
                ai ei ui#汉语拼音,复韵母#Pinyin ai ei ui|秋天#课文,季节#Autumn|小小的船#课文,儿歌#The little boat|\
                江南#古诗,乐府#South of the river|四季#课文,季节#Four seasons|比尾巴#课文,动物#Comparing tails|\
                青蛙写诗#课文,标点#The frog writes a poem|雪地里的小画家#课文,动物#Little painters in the snow|\
                乌鸦喝水#课文,寓言#The crow and the pitcher|语文园地一#语文园地#Chinese corner 1
                """),
        Volume(
            subject: "语文", edition: "统编版", grade: "一年级", term: "下册",
            lessons: """
                春夏秋冬#识字,季节#Spring, summer, autumn, winter|姓氏歌#识字,姓氏#The surname song|\
                小青蛙#识字,形声字#The little frog|猜字谜#识字,谜语#Character riddles|\
                吃水不忘挖井人#课文,毛主席#Remember who dug the well|静夜思#古诗,李白#Quiet Night Thoughts|\
                小猴子下山#课文,寓言#The little monkey goes downhill|动物王国开大会#课文,通知#The animal kingdom meets
                """),
        Volume(
            subject: "语文", edition: "统编版", grade: "二年级", term: "上册",
            lessons: """
                小蝌蚪找妈妈#课文,青蛙,动物#Little tadpoles look for their mother|我是什么#课文,水的变化#What am I|\
                植物妈妈有办法#课文,植物,种子#Plant mothers have a way|登鹳雀楼#古诗,王之涣#On the Stork Tower|\
                望庐山瀑布#古诗,李白#Viewing the waterfall at Mount Lu|黄山奇石#课文,黄山#The rocks of Mount Huang|\
                日月潭#课文,台湾#Sun Moon Lake|葡萄沟#课文,新疆#Grape Valley|曹冲称象#课文,智慧#Cao Chong weighs an elephant|\
                坐井观天#课文,寓言#The frog in the well|寒号鸟#课文,寓言#The Jackdaw|狐假虎威#课文,成语故事#The fox and the tiger
                """),
        Volume(
            subject: "语文", edition: "统编版", grade: "二年级", term: "下册",
            lessons: """
                村居#古诗,高鼎#Village life|咏柳#古诗,贺知章#Ode to the willow|找春天#课文,春天#Looking for spring|\
                雷锋叔叔，你在哪里#课文,雷锋#Uncle Lei Feng, where are you|亡羊补牢#寓言,成语#Mending the pen|\
                揠苗助长#寓言,成语#Pulling up seedlings|画杨桃#课文,观察#Drawing a starfruit|小马过河#课文,寓言#The pony crosses the river
                """),
        Volume(
            subject: "语文", edition: "统编版", grade: "三年级", term: "上册",
            lessons: """
                大青树下的小学#课文,学校生活#The school under the banyan tree|花的学校#课文,泰戈尔#The school of flowers|\
                不懂就要问#课文,孙中山#Ask when you do not understand|山行#古诗,杜牧#Mountain walk|\
                去年的树#童话#Last year's tree|在牛肚子里旅行#童话,科普#A trip inside a cow|\
                总也倒不了的老屋#童话,预测#The old house that never falls|富饶的西沙群岛#课文,祖国河山#The rich Xisha Islands|\
                美丽的小兴安岭#课文,祖国河山#The beautiful Lesser Khingan|司马光#文言文,小古文#Sima Guang|\
                搭船的鸟#课文,观察#The bird on the boat|金色的草地#课文,观察#The golden meadow|\
                掌声#课文,关爱#Applause|灰雀#课文,列宁#The grey sparrows|语文园地七#语文园地#Chinese corner 7
                """),
        Volume(
            subject: "语文", edition: "统编版", grade: "三年级", term: "下册",
            lessons: """
                绝句#古诗,杜甫#Quatrain|燕子#课文,春天#Swallows|荷花#课文,叶圣陶#Lotus flowers|\
                守株待兔#文言文,寓言#Waiting for a hare by the tree|陶罐和铁罐#寓言#The clay pot and the iron pot|\
                鹿角和鹿腿#寓言#The deer's antlers and legs|赵州桥#课文,中华传统文化#The Zhaozhou Bridge|\
                纸的发明#课文,中华传统文化,蔡伦#The invention of paper|火烧云#课文,萧红#Fiery clouds|\
                肥皂泡#课文,冰心#Soap bubbles|我不能失信#课文,宋庆龄#I cannot break my word
                """),
        Volume(
            subject: "语文", edition: "统编版", grade: "四年级", term: "上册",
            lessons: """
                观潮#课文,钱塘江#Watching the tide|走月亮#课文,散文#Walking in the moonlight|繁星#课文,巴金#Stars|\
                爬山虎的脚#课文,叶圣陶,观察#The feet of the creeper|蟋蟀的住宅#课文,法布尔#The cricket's house|\
                盘古开天地#神话#Pangu separates sky and earth|精卫填海#神话,文言文#Jingwei fills the sea|\
                普罗米修斯#神话#Prometheus|女娲补天#神话#Nüwa mends the sky|\
                为中华之崛起而读书#课文,周恩来#Studying for the rise of China
                """),
        Volume(
            subject: "语文", edition: "统编版", grade: "四年级", term: "下册",
            lessons: """
                乡下人家#课文,乡村生活#Country homes|天窗#课文,茅盾#The skylight|琥珀#科普文#Amber|\
                飞向蓝天的恐龙#科普文#Dinosaurs that flew|纳米技术就在我们身边#科普文,纳米#Nanotechnology around us|\
                猫#课文,老舍,动物#The cat|母鸡#课文,老舍,动物#The hen|白鹅#课文,丰子恺,动物#The white goose|\
                小英雄雨来#课文,抗日#Little hero Yulai
                """),
        Volume(
            subject: "语文", edition: "统编版", grade: "五年级", term: "上册",
            lessons: """
                白鹭#课文,郭沫若#The egret|落花生#课文,许地山#Peanuts|桂花雨#课文,琦君#Osmanthus rain|\
                珍珠鸟#课文,冯骥才#The pearl bird|将相和#课文,历史故事#The general and the minister|\
                少年中国说#课文,梁启超#On young China|圆明园的毁灭#课文,圆明园#The destruction of the Old Summer Palace|\
                慈母情深#课文,梁晓声#A mother's love|松鼠#课文,说明文#The squirrel
                """),
        Volume(
            subject: "语文", edition: "统编版", grade: "五年级", term: "下册",
            lessons: """
                草船借箭#古典名著,三国演义#Borrowing arrows with straw boats|景阳冈#古典名著,水浒传#Jingyang Ridge|\
                猴王出世#古典名著,西游记#The birth of the Monkey King|红楼春趣#古典名著,红楼梦#Spring fun in the Red Chamber|\
                祖父的园子#课文,萧红#Grandfather's garden|月是故乡明#课文,季羡林#The moon is brighter at home|\
                威尼斯的小艇#课文,马克·吐温#The boats of Venice|青山处处埋忠骨#课文,毛岸英#Green hills everywhere
                """),
        Volume(
            subject: "语文", edition: "统编版", grade: "六年级", term: "上册",
            lessons: """
                草原#课文,老舍#The grassland|丁香结#课文,宗璞#Lilac knots|开国大典#课文,新中国#The founding ceremony|\
                狼牙山五壮士#课文,抗日#The five heroes of Langya Mountain|桥#小说#The bridge|穷人#小说,列夫·托尔斯泰#The poor|\
                少年闰土#课文,鲁迅#Young Runtu|好的故事#课文,鲁迅#A good story|我的伯父鲁迅先生#课文,鲁迅#My uncle Lu Xun|\
                只有一个地球#课文,环保#Only one Earth|伯牙鼓琴#文言文,知音#Boya plays the zither
                """),
        Volume(
            subject: "语文", edition: "统编版", grade: "六年级", term: "下册",
            lessons: """
                北京的春节#课文,老舍,民俗#Spring Festival in Beijing|腊八粥#课文,沈从文,民俗#Laba porridge|\
                藏戏#课文,民俗#Tibetan opera|匆匆#课文,朱自清#Rush|那个星期天#课文,史铁生#That Sunday|\
                学弈#文言文,孟子#Learning chess|两小儿辩日#文言文,列子#Two children argue about the sun|\
                鲁滨逊漂流记#外国名著#Robinson Crusoe|十六年前的回忆#课文,李大钊#Memories of sixteen years ago|\
                为人民服务#课文,毛泽东#Serve the people
                """),
        Volume(
            subject: "英语", edition: "人教PEP版", grade: "三年级", term: "上册",
            lessons: """
                Unit 1 Hello!#问候,greetings#Unit 1 Hello!|Unit 2 Colours#颜色,colours#Unit 2 Colours|\
                Unit 3 Look at me!#身体部位,body#Unit 3 Look at me!|Unit 4 We love animals#动物,animals#Unit 4 We love animals|\
                Unit 5 Let's eat!#食物,food#Unit 5 Let's eat!|Unit 6 Happy birthday!#数字,生日#Unit 6 Happy birthday!
                """),
        Volume(
            subject: "英语", edition: "人教PEP版", grade: "四年级", term: "上册",
            lessons: """
                Unit 1 My classroom#教室,classroom#Unit 1 My classroom|Unit 2 My schoolbag#文具,schoolbag#Unit 2 My schoolbag|\
                Unit 3 My friends#朋友,外貌#Unit 3 My friends|Unit 4 My home#家,房间#Unit 4 My home|\
                Unit 5 Dinner's ready#食物,餐具#Unit 5 Dinner's ready|Unit 6 Meet my family!#家庭成员#Unit 6 Meet my family!
                """),
        Volume(
            subject: "英语", edition: "人教PEP版", grade: "五年级", term: "上册",
            lessons: """
                Unit 1 What's he like?#性格,外貌#Unit 1 What's he like?|Unit 2 My week#星期,weekdays#Unit 2 My week|\
                Unit 3 What would you like?#食物,点餐#Unit 3 What would you like?|\
                Unit 4 What can you do?#能力,can#Unit 4 What can you do?
                """),
        Volume(
            subject: "科学", edition: "教科版", grade: "三年级", term: "上册",
            lessons: """
                水到哪里去了#水,蒸发#Where did the water go|水结冰了#水,结冰#Water freezes|感受空气#空气#Feeling the air|\
                空气占据空间吗#空气,实验#Does air take up space|天气日历#天气,观测#A weather calendar|测量气温#天气,温度计#Measuring temperature
                """),
        Volume(
            subject: "科学", edition: "教科版", grade: "三年级", term: "下册",
            lessons: """
                种子里孕育着新生命#植物,种子#A new life in a seed|我们先看到了根#植物,根#First we see roots|\
                植物的生长变化#植物,生长#How plants grow and change|磁铁能吸引什么#磁铁,实验#What do magnets attract
                """),
        Volume(
            subject: "科学", edition: "教科版", grade: "四年级", term: "上册",
            lessons: """
                听听声音#声音,振动#Listening to sounds|声音是怎样产生的#声音,振动#How sound is made|\
                我们的身体#人体#Our bodies|运动与摩擦力#摩擦力,实验#Motion and friction
                """),
        Volume(
            subject: "科学", edition: "教科版", grade: "五年级", term: "上册",
            lessons: """
                有关光的思考#光,光源#Thinking about light|光的传播#光,直线传播#How light travels|\
                地球的表面#地形,地貌#The Earth's surface|用水计量时间#计时,水钟#Measuring time with water
                """),
    ]

    static let numbers = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二", "十三", "十四", "十五"]

    /// A lesson: where it sits in the catalog, and the resources made for it.
    struct Lesson {
        var id: String
        var title: String
        var volume: Volume
        var resources: [Manifest.Resource]
    }

    /// Every lesson, with one to three resources each, in textbook order.
    static let lessons: [Lesson] = {
        var lessons: [Lesson] = []
        for (volumeIndex, volume) in volumes.enumerated() {
            let entries = volume.lessons.split(separator: "|").map {
                $0.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            for (index, entry) in entries.enumerated() {
                let parts = entry.split(separator: "#", omittingEmptySubsequences: false).map(String.init)
                let (title, tags, english) = (parts[0], parts[1].split(separator: ",").map(String.init), parts[2])
                let id = "v\(volumeIndex)-l\(index)"
                let unit = numbers[min(index, numbers.count - 1)]
                let place = "\(volume.edition)\(volume.grade)\(volume.term)\(volume.subject)第\(unit)单元"
                let description = """
                    本资源配合\(place)使用，适合一课时的教学。资源包含情境导入、新知探究、合作交流、\
                    课堂练习和课堂小结五个环节，每个环节都附有教学建议和时间安排，教师可以根据班级学情调整顺序或删减内容。\
                    所有图片、动画和音频都已保存在本机，没有网络的教室也能直接使用；练习题配有参考答案和常见错误分析，\
                    便于教师当堂反馈。学生通过本课的学习，能够在具体情境中理解并运用所学知识，养成认真观察、\
                    积极思考和表达交流的习惯。本课内容：《\(title)》，重点：\(tags.joined(separator: "、"))。
                    """
                let englishDescription =
                    "\(volume.edition) \(volume.grade) \(volume.subject), unit \(index + 1): \(english). "
                    + "A complete lesson with warm-up, new learning, practice and summary; works offline."
                func resource(_ suffix: String, _ type: String, _ zh: String, _ en: String) -> Manifest.Resource {
                    Manifest.Resource(
                        id: "\(id)-\(suffix)", title: LocalizedText(zh: zh, en: en), type: type, stage: "小学",
                        grade: volume.grade, subject: volume.subject, edition: volume.edition, term: volume.term,
                        language: "zh-CN", entry: "\(id)-\(suffix).html",
                        description: LocalizedText(zh: description, en: englishDescription), tags: tags)
                }
                var resources = [resource("html", "html", title, english)]
                if index % 3 == 0 { resources.append(resource("video", "video", "\(title) 微课", "\(english) (video)")) }
                if index % 2 == 1 {
                    resources.append(resource("exercise", "exercise", "\(title) 课堂练习", "\(english): practice"))
                }
                lessons.append(Lesson(id: id, title: title, volume: volume, resources: resources))
            }
        }
        return lessons
    }()

    /// Every resource of the catalog.
    static var resources: [Manifest.Resource] { lessons.flatMap(\.resources) }
}
