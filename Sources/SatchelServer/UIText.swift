import SatchelCore

/// The web UI's fixed strings in both languages.
enum UIText {
    static let title = LocalizedText(zh: "学习资源", en: "Learning resources")
    static let searchResults = LocalizedText(zh: "搜索结果", en: "Search results")
    static let browse = LocalizedText(zh: "分类浏览", en: "Browse")
    static let login = LocalizedText(zh: "登录", en: "Log in")
    static let register = LocalizedText(zh: "注册", en: "Register")
    static let certificateTitle = LocalizedText(zh: "教师培训学时证明", en: "Teacher training certificate")
    static let resetPassword = LocalizedText(zh: "重设密码", en: "Reset password")
    static let passwordRule = LocalizedText(
        zh: "新密码需要 6 到 128 个字符。", en: "The new password must have 6 to 128 characters.")
    static let back = LocalizedText(zh: "返回", en: "Back")
    static let training = LocalizedText(zh: "教师培训", en: "Teacher training")
    static let backToFirstPage = LocalizedText(zh: "回到第 1 页", en: "Back to page 1")
    static let shareWithStudents = LocalizedText(zh: "分享给学生", en: "Share with students")
    static let notFound = LocalizedText(zh: "找不到页面", en: "Page not found")
    static let notFoundMessage = LocalizedText(
        zh: "这个资源不存在，可能已被更新或删除。", en: "This resource does not exist; it may have been updated or removed.")

    /// Every string a template uses, in one language, keyed by the name templates use (`{{t.search}}`).
    static func strings(_ language: Language) -> [String: String] {
        let table: [String: LocalizedText] = [
            "title": title,
            "browse": browse,
            "browseByStage": LocalizedText(zh: "按学段浏览", en: "Browse by stage"),
            "search": LocalizedText(zh: "搜索", en: "Search"),
            "searchPlaceholder": LocalizedText(zh: "搜索课程、视频、文档…", en: "Search lessons, videos, documents…"),
            "searchResults": searchResults,
            "noResults": LocalizedText(
                zh: "没有找到相关资源。试试下面这些词，或按年级、学科浏览。",
                en: "Nothing found. Try one of the words below, or browse by grade and subject."),
            "tryWords": LocalizedText(zh: "试试这些词", en: "Try these words"),
            "filteredBy": LocalizedText(zh: "已按分类筛选：", en: "filtered by "),
            "empty": LocalizedText(
                zh: "还没有安装任何资源包。请技术员用 satchel import 导入。",
                en: "No bundles are installed yet. A technician can add them with satchel import."),
            "recent": LocalizedText(zh: "最新资源", en: "What's new"),
            "bundles": LocalizedText(zh: "资源包", en: "Bundles"),
            "resources": LocalizedText(zh: "资源", en: "Resources"),
            "resourcesUnit": LocalizedText(zh: "个资源", en: "resources"),
            "home": LocalizedText(zh: "首页", en: "Home"),
            "openFull": LocalizedText(zh: "全屏打开", en: "Open full screen"),
            "download": LocalizedText(zh: "下载", en: "Download"),
            "previous": LocalizedText(zh: "上一页", en: "Previous"),
            "next": LocalizedText(zh: "下一页", en: "Next"),
            "login": login,
            "backToCourse": LocalizedText(zh: "返回培训课程", en: "Back to the course"),
            "logout": LocalizedText(zh: "退出登录", en: "Log out"),
            "register": LocalizedText(zh: "注册", en: "Register"),
            "username": LocalizedText(zh: "用户名（字母或数字）", en: "User name (letters or digits)"),
            "name": LocalizedText(zh: "姓名", en: "Name"),
            "teacherNumber": LocalizedText(zh: "教师编号（如有）", en: "Teacher number (if you have one)"),
            "subjects": LocalizedText(zh: "任教学科", en: "Subjects you teach"),
            "pin": LocalizedText(zh: "密码（至少 6 位）", en: "Password (at least 6 characters)"),
            "totalHours": LocalizedText(zh: "已获培训学时", en: "Training hours credited"),
            "hours": LocalizedText(zh: "学时", en: "hours"),
            "minutes": LocalizedText(zh: "分钟", en: "minutes"),
            "modulesDone": LocalizedText(zh: "个单元已完成", en: "modules completed"),
            "noCourses": LocalizedText(zh: "还没有参加培训课程。", en: "You have not enrolled in a course yet."),
            "certificate": LocalizedText(zh: "打印证书", en: "Print certificate"),
            "certificateTitle": LocalizedText(zh: "教师培训学时证明", en: "Teacher training certificate"),
            "exportData": LocalizedText(zh: "导出我的数据", en: "Export my data"),
            "back": back,
            "enrol": LocalizedText(zh: "参加培训", en: "Enrol"),
            "loginToEnrol": LocalizedText(zh: "登录后参加培训", en: "Log in to enrol"),
            "completed": LocalizedText(zh: "已完成", en: "completed"),
            "score": LocalizedText(zh: "测验得分", en: "Quiz score"),
            "markComplete": LocalizedText(zh: "标记为已完成", en: "Mark as completed"),
            "takeQuiz": LocalizedText(zh: "参加测验", en: "Take the quiz"),
            "submitAnswers": LocalizedText(zh: "提交答案", en: "Submit answers"),
            "studied": LocalizedText(zh: "已学习", en: "Studied"),
            "required": LocalizedText(zh: "要求", en: "required"),
            "passMark": LocalizedText(zh: "及格分", en: "Pass mark"),
            "quizNote": LocalizedText(
                zh: "每题选一个答案。答案由本校服务器评分。", en: "Choose one answer for each question. The school's server scores them."),
            "admin": LocalizedText(zh: "管理", en: "Admin"),
            "adminPage": LocalizedText(zh: "本校资源服务器管理", en: "School server admin"),
            "adminTeachers": LocalizedText(zh: "教师账号审核", en: "Teacher approvals"),
            "adminReport": LocalizedText(zh: "学校报告", en: "School report"),
            "downloadCSV": LocalizedText(zh: "下载表格（CSV，可用 Excel 打开）", en: "Download the table (CSV, opens in Excel)"),
            "approve": LocalizedText(zh: "批准", en: "Approve"),
            "resetPassword": resetPassword,
            "newPassword": LocalizedText(zh: "新密码（至少 6 位）", en: "New password (at least 6 characters)"),
            "usage": LocalizedText(zh: "资源使用（按学科和年级）", en: "Usage by subject and grade"),
            "training": LocalizedText(zh: "培训完成情况", en: "Training completion"),
            "zeroResults": LocalizedText(zh: "没有结果的搜索", en: "Searches with no results"),
            "views": LocalizedText(zh: "次浏览", en: "views"),
            "downloads": LocalizedText(zh: "次下载", en: "downloads"),
            "shareWithStudents": shareWithStudents,
            "shareHowTo": LocalizedText(
                zh: "学生用手机扫码或在浏览器输入地址，需连接学校网络。",
                en: "Students scan the code with a phone or type the address into a browser, on the school's network."),
            "shareLink": LocalizedText(zh: "链接地址", en: "Link"),
            "qrLabel": LocalizedText(zh: "资源链接的二维码", en: "QR code of the resource's link"),
        ]
        return table.merging(TeacherToolsText.strings) { first, _ in first }.mapValues { $0(language) }
    }

    static func typeName(_ type: String, _ language: Language) -> String {
        let names: [String: LocalizedText] = [
            "video": LocalizedText(zh: "视频", en: "Video"),
            "document": LocalizedText(zh: "文档", en: "Document"),
            "html": LocalizedText(zh: "课件", en: "Lesson"),
            "exercise": LocalizedText(zh: "练习", en: "Exercise"),
            "audio": LocalizedText(zh: "音频", en: "Audio"),
            "image": LocalizedText(zh: "图片", en: "Image"),
            "course-module": LocalizedText(zh: "培训单元", en: "Course module"),
        ]
        return names[type]?(language) ?? type
    }

    static func levelName(_ level: String, _ language: Language) -> String {
        let names: [String: LocalizedText] = [
            "stage": LocalizedText(zh: "学段", en: "Stage"),
            "grade": LocalizedText(zh: "年级", en: "Grade"),
            "subject": LocalizedText(zh: "学科", en: "Subject"),
            "edition": LocalizedText(zh: "教材版本", en: "Textbook edition"),
            "term": LocalizedText(zh: "册", en: "Term"),
            "unit": LocalizedText(zh: "单元", en: "Unit"),
        ]
        return names[level]?(language) ?? level
    }
}
