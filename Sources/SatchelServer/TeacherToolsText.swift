import Foundation
import SatchelCore
import SatchelStore

/// The words of the teacher's own pages (收藏, 最近浏览, 备课篮, 教师研修), in both languages.
enum TeacherToolsText {
    static let favourites = LocalizedText(zh: "我的收藏", en: "My favourites")
    static let recent = LocalizedText(zh: "最近浏览", en: "Recently opened")
    static let lessonPlans = LocalizedText(zh: "备课篮", en: "Lesson plans")
    static let deletePlan = LocalizedText(zh: "删除备课篮", en: "Delete the lesson plan")
    static let noFavourites = LocalizedText(
        zh: "还没有收藏。打开资源后点“☆ 收藏”，以后在这里就能找到。",
        en: "No favourites yet. Open a resource and tap “☆ Favourite” to find it here later.")
    static let noRecent = LocalizedText(
        zh: "还没有浏览记录。登录后打开的资源会出现在这里。",
        en: "Nothing opened yet. Resources you open while logged in appear here.")
    static let gone = LocalizedText(zh: "（这个资源已从本校服务器移除）", en: "(This resource was removed from the school server)")
    static let tooManyFavourites = LocalizedText(
        zh: "收藏已满 \(SatchelDatabase.maxFavourites) 个，请先取消一些不再需要的收藏。",
        en: "You have \(SatchelDatabase.maxFavourites) favourites, the most kept. Remove some you no longer need first."
    )
    static let tooManyPlans = LocalizedText(
        zh: "备课篮已有 \(SatchelDatabase.maxLessonPlans) 个，请先删除不再需要的。",
        en: "You have \(SatchelDatabase.maxLessonPlans) lesson plans, the most kept. Delete some first.")
    static let planFull = LocalizedText(
        zh: "这个备课篮已放满 \(SatchelDatabase.maxLessonPlanItems) 个资源，请新建一个备课篮。",
        en: "This lesson plan holds \(SatchelDatabase.maxLessonPlanItems) resources, the most. Make a new one.")
    static let nameTooLong = LocalizedText(
        zh: "课名最多 50 个字，班级最多 30 个字。", en: "The lesson name may have 50 characters and the class 30.")
    static let notDone = LocalizedText(zh: "没有完成", en: "Not done")
    static let exit = LocalizedText(zh: "退出放映", en: "Exit")
    static let previous = LocalizedText(zh: "上一个", en: "Previous")
    static let next = LocalizedText(zh: "下一个", en: "Next")
    static let fullScreen = LocalizedText(zh: "全屏", en: "Full screen")
    static let training = LocalizedText(zh: "教师研修", en: "Teacher training")

    /// A lesson plan's name when the teacher gives none: tomorrow's date, 12月3日的课.
    static func suggestedTitle(_ now: Date, _ language: Language) -> String {
        let calendar = Calendar(identifier: .gregorian)
        let tomorrow = calendar.date(byAdding: .day, value: 1, to: now) ?? now
        let parts = calendar.dateComponents([.month, .day], from: tomorrow)
        let (month, day) = (parts.month ?? 1, parts.day ?? 1)
        return language == .english ? "Lesson of \(day)/\(month)" : "\(month)月\(day)日的课"
    }

    /// The strings the templates of these pages use, as `{{t.NAME}}`.
    static let strings: [String: LocalizedText] = [
        "favourites": favourites, "recentViews": recent, "lessonPlans": lessonPlans, "teacherTraining": training,
        "favourite": LocalizedText(zh: "☆ 收藏", en: "☆ Favourite"),
        "unfavourite": LocalizedText(zh: "★ 已收藏（取消）", en: "★ Favourite (remove)"),
        "addToPlan": LocalizedText(zh: "加入备课篮", en: "Add to a lesson plan"),
        "newPlan": LocalizedText(zh: "新建备课篮：", en: "New lesson plan: "),
        "planName": LocalizedText(zh: "课名", en: "Lesson"),
        "className": LocalizedText(zh: "班级（可不填）", en: "Class (optional)"),
        "createPlan": LocalizedText(zh: "新建备课篮", en: "New lesson plan"),
        "noPlans": LocalizedText(
            zh: "还没有备课篮。把明天上课要用的资源放进一个备课篮，上课时在教室电脑上按顺序全屏放映。",
            en: "No lesson plans yet. Put the resources for tomorrow's class in one, then show them full screen in "
                + "order on the classroom PC."),
        "emptyPlan": LocalizedText(
            zh: "备课篮还是空的。打开一个资源，点“加入备课篮”。", en: "The plan is empty. Open a resource and tap “Add to a lesson plan”."),
        "present": LocalizedText(zh: "开始放映", en: "Present"),
        "printList": LocalizedText(zh: "打印清单", en: "Print the list"),
        "moveUp": LocalizedText(zh: "上移", en: "Up"),
        "moveDown": LocalizedText(zh: "下移", en: "Down"),
        "remove": LocalizedText(zh: "移除", en: "Remove"),
        "deletePlan": deletePlan,
        "deleteQuestion": LocalizedText(
            zh: "确定删除这个备课篮吗？资源本身不会被删除。", en: "Delete this lesson plan? The resources stay."),
        "confirmDelete": LocalizedText(zh: "确定删除", en: "Delete"),
        "cancel": LocalizedText(zh: "取消", en: "Cancel"),
        "resourcesInPlan": LocalizedText(zh: "个资源", en: "resources"),
        "updatedOn": LocalizedText(zh: "更新于", en: "updated"),
        "seeAll": LocalizedText(zh: "全部", en: "See all"),
        "myLessons": LocalizedText(zh: "我的备课篮", en: "My lesson plans"),
        "loginForTools": LocalizedText(zh: "登录后可收藏、加入备课篮", en: "Log in to keep favourites and lesson plans"),
        "trainingIntro": LocalizedText(
            zh: "教师培训课程：学习、测验、获得学时证明。", en: "Training courses: study, take the quizzes, earn certified hours."),
        "noTraining": LocalizedText(
            zh: "本校服务器上还没有培训课程。", en: "There are no training courses on the school server yet."),
        "modules": LocalizedText(zh: "个单元", en: "modules"),
        "enrolled": LocalizedText(zh: "已报名", en: "Enrolled"),
    ]
}
