/// Templates for accounts, training and the admin area.
extension Templates {
    static let records: [String: String] = [
        "raw": "{{{html}}}",
        "login": """
        <h1>{{t.login}}</h1>
        {{#message}}<div class="card">{{message}}</div>{{/message}}
        <form class="card" method="post" action="/login">
        <p><label>{{t.username}}<br><input name="username" required autocomplete="username" value="{{username}}"></label></p>
        <p><label>{{t.pin}}<br><input name="password" type="password" required autocomplete="current-password"></label></p>
        <p><button class="button" type="submit">{{t.login}}</button> <a href="/register">{{t.register}}</a></p>
        </form>
        """,
        "register": """
        <h1>{{t.register}}</h1>
        {{#message}}<div class="card">{{message}}</div>{{/message}}
        <form class="card" method="post" action="/register">
        <p><label>{{t.name}}<br><input name="name" required maxlength="50" value="{{name}}"></label></p>
        <p><label>{{t.username}}<br><input name="username" required maxlength="32" pattern="[a-zA-Z0-9_.-]{3,32}" value="{{username}}"></label></p>
        <p><label>{{t.teacherNumber}}<br><input name="teacherNumber" maxlength="32" value="{{teacherNumber}}"></label></p>
        <p><label>{{t.subjects}}<br><input name="subjects" maxlength="100" value="{{subjects}}"></label></p>
        <p><label>{{t.pin}}<br><input name="password" type="password" required minlength="6" autocomplete="new-password"></label></p>
        <p><button class="button" type="submit">{{t.register}}</button></p>
        </form>
        """,
        "message": """
        <h1>{{heading}}</h1><div class="card">{{message}}</div><p><a class="button" href="{{link}}">{{linkText}}</a></p>
        """,
        "me": """
        <h1>{{name}}</h1>
        <p class="meta">{{t.totalHours}}: <strong>{{totalHours}}</strong></p>
        {{#courses}}<div class="card"><strong><a href="/training/{{bundleSegment}}">{{title}}</a></strong>
        <div class="meta">{{completed}} / {{total}} {{t.modulesDone}} · {{hours}} {{t.hours}}</div></div>{{/courses}}
        {{^courses}}<div class="card">{{t.noCourses}}</div>{{/courses}}
        <p><a class="button" href="/me/lessons">{{t.lessonPlans}}</a> <a class="button" href="/me/favourites">{{t.favourites}}</a> \
        <a class="button" href="/me/recent">{{t.recentViews}}</a></p>
        <p><a class="button" href="/me/certificate">{{t.certificate}}</a> <a class="button" href="/me/export">{{t.exportData}}</a></p>
        <form method="post" action="/logout"><input type="hidden" name="csrf" value="{{csrf}}">
        <button class="button" type="submit">{{t.logout}}</button></form>
        {{#isAdmin}}<p><a class="button" href="/admin">{{t.adminPage}}</a></p>
        <p><a href="/admin/teachers">{{t.adminTeachers}}</a> · <a href="/admin/report">{{t.adminReport}}</a></p>{{/isAdmin}}
        """,
        "certificate": """
        <style>@page{size:A4;margin:14mm}
        @media print{header,.noprint{display:none!important}body{background:#fff;font-size:11.5pt}
        main{max-width:none;padding:0}.cert{margin:0;box-shadow:none}}
        .cert{border:6px double #1f6f54;padding:1.2rem 1.6rem;background:#fff;margin:1rem 0;break-inside:avoid}
        section.cert+section.cert{break-before:page}
        .cert h1{text-align:center;font-size:1.6rem;margin:.2rem 0 .8rem;letter-spacing:.1em}
        .cert dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1.2rem;margin:1rem 0}
        .cert dt{color:#5a6270}.cert dd{margin:0;font-weight:bold}
        .code{font-family:"DejaVu Sans Mono",monospace;font-size:.95rem;word-spacing:.25em;line-height:1.5;
        border:1px solid #cfd6df;padding:.4rem .6rem;margin:.3rem 0}.cert button.button{border:0;font:inherit;cursor:pointer}</style>
        {{#certificates}}<section class="cert"><h1>{{t.certificateTitle}}</h1>
        <p>{{c.certifies}}</p>
        <dl><dt>{{c.teacher}}</dt><dd>{{name}}{{#teacherNumber}}（{{teacherNumber}}）{{/teacherNumber}}</dd>
        <dt>{{c.school}}</dt><dd>{{school}}</dd>
        <dt>{{c.course}}</dt><dd>{{title}}</dd>
        <dt>{{c.hours}}</dt><dd>{{hours}} {{t.hours}}</dd>
        <dt>{{c.modules}}</dt><dd>{{completed}} / {{total}}</dd>
        <dt>{{c.enrolled}}</dt><dd>{{enrolled}}</dd>
        <dt>{{c.completed}}</dt><dd>{{completedOn}}</dd>
        <dt>{{c.issued}}</dt><dd>{{issued}}</dd></dl>
        <h2>{{c.code}}</h2>
        {{#hasCode}}<p class="code">{{code}}</p>
        <p class="meta">{{#hasVerifyURL}}{{c.howToVerify}}<a href="{{verifyLink}}">{{verifyURL}}</a>{{/hasVerifyURL}}\
        {{^hasVerifyURL}}{{c.howToVerifyOffline}}{{/hasVerifyURL}}</p>
        <p class="meta">Satchel · {{nodeId}}</p>{{/hasCode}}
        {{^hasCode}}<p class="meta">{{missingCode}}</p>{{/hasCode}}
        <p class="noprint"><button class="button" type="button" onclick="window.print()">{{c.print}}</button> \
        <a class="button" href="{{downloadURL}}">{{c.save}}</a></p></section>{{/certificates}}
        {{^certificates}}<div class="card">{{c.none}}</div>{{/certificates}}
        <p class="noprint"><a href="/me">{{t.back}}</a></p>
        """,
        "course": """
        <h1>{{title}}</h1>
        {{#loggedIn}}{{^enrolled}}<form method="post" action="/training/{{bundleSegment}}/enrol">
        <input type="hidden" name="csrf" value="{{csrf}}"><button class="button" type="submit">{{t.enrol}}</button></form>{{/enrolled}}{{/loggedIn}}
        {{^loggedIn}}<p><a class="button" href="/login">{{t.loginToEnrol}}</a></p>{{/loggedIn}}
        {{#modules}}<div class="card"><strong><a href="/resources/{{bundleSegment}}/{{idSegment}}">{{title}}</a></strong>
        <div class="meta">{{creditHours}} {{t.hours}}{{#done}} · ✔ {{t.completed}}{{/done}} · {{t.studied}} {{minutes}} / {{t.required}} {{requiredMinutes}} {{t.minutes}}{{#score}} · {{t.score}} {{score}}{{/score}}</div>
        {{#canComplete}}{{#hasQuiz}}<p><a class="button" href="/training/{{bundleSegment}}/{{idSegment}}/quiz">{{t.takeQuiz}}</a></p>{{/hasQuiz}}\
        {{^hasQuiz}}<form method="post" action="/training/{{bundleSegment}}/{{idSegment}}/complete">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <button class="button" type="submit">{{t.markComplete}}</button></form>{{/hasQuiz}}{{/canComplete}}</div>{{/modules}}
        """,
        "quiz": """
        <p class="crumbs"><a href="/training/{{bundleSegment}}">{{courseTitle}}</a> ›</p>
        <h1>{{title}}</h1>
        <p class="meta">{{t.quizNote}} {{t.passMark}} {{passMark}}.</p>
        <form method="post" action="/training/{{bundleSegment}}/{{idSegment}}/quiz">
        <input type="hidden" name="csrf" value="{{csrf}}">
        {{#questions}}<fieldset class="card"><legend>{{number}}. {{prompt}}</legend>
        {{#choices}}<label class="choice"><input type="radio" name="{{name}}" value="{{value}}"> {{text}}</label>{{/choices}}
        </fieldset>{{/questions}}
        <button class="button" type="submit">{{t.submitAnswers}}</button></form>
        """,
        "adminTeachers": """
        <h1>{{t.adminTeachers}}</h1>
        {{#teachers}}<div class="card"><strong>{{name}}</strong> <span class="meta">{{meta}}</span>
        {{#pending}}<form method="post" action="/admin/teachers/{{id}}/approve"><input type="hidden" name="csrf" value="{{csrf}}">
        <button class="button" type="submit">{{t.approve}}</button></form>{{/pending}}
        {{#canReset}}<form method="post" action="/admin/teachers/{{id}}/password"><input type="hidden" name="csrf" value="{{csrf}}">
        <input name="password" type="password" minlength="6" maxlength="128" autocomplete="new-password" aria-label="{{t.newPassword}}" placeholder="{{t.newPassword}}">
        <button type="submit">{{t.resetPassword}}</button></form>{{/canReset}}</div>{{/teachers}}
        """,
        "adminReport": """
        <h1>{{t.adminReport}}</h1>
        <h2>{{t.usage}}</h2>{{#usage}}<div class="card">{{line}}</div>{{/usage}}
        <h2>{{t.training}}</h2>{{#training}}<div class="card">{{line}}</div>{{/training}}
        <h2>{{t.zeroResults}}</h2>{{#zero}}<div class="card">{{query}} · {{searches}}</div>{{/zero}}
        <p><a class="button" href="/admin/report.csv">{{t.downloadCSV}}</a></p>
        """,
    ]
}
