/// Templates of the teacher's own pages: lists of resources, lesson plans and their full-screen show, the training
/// courses, and the resource page's favourite and lesson-plan forms.
extension Templates {
    static let teacherTools: [String: String] = [
        "resourceList": """
        <p class="crumbs"><a href="/me">{{t.back}}</a> ›</p>
        <h1>{{heading}}</h1>
        {{#resources}}{{> resourceCard}}{{/resources}}
        {{^resources}}<div class="card">{{empty}}</div>{{/resources}}
        """,
        "resourceTools": """
        {{#tools}}{{#loggedIn}}<div class="tools">
        <form method="post" action="{{favouriteURL}}"><input type="hidden" name="csrf" value="{{csrf}}">\
        <input type="hidden" name="favourite" value="{{#isFavourite}}0{{/isFavourite}}{{^isFavourite}}1{{/isFavourite}}">\
        <button type="submit">{{#isFavourite}}{{t.unfavourite}}{{/isFavourite}}{{^isFavourite}}{{t.favourite}}{{/isFavourite}}</button></form>
        {{#hasPlans}}<form method="post" action="/me/lessons/add"><input type="hidden" name="csrf" value="{{csrf}}">\
        <input type="hidden" name="bundle" value="{{bundleId}}"><input type="hidden" name="resource" value="{{resourceId}}">
        <label>{{t.addToPlan}}<select name="plan">{{#plans}}<option value="{{id}}">{{title}} ({{count}})</option>{{/plans}}</select></label>
        <button type="submit">{{t.addToPlan}}</button></form>{{/hasPlans}}
        <form method="post" action="/me/lessons"><input type="hidden" name="csrf" value="{{csrf}}">\
        <input type="hidden" name="bundle" value="{{bundleId}}"><input type="hidden" name="resource" value="{{resourceId}}">\
        <input type="hidden" name="title" value="{{suggestedTitle}}">\
        <button type="submit">{{t.newPlan}}{{suggestedTitle}}</button></form>
        </div>{{/loggedIn}}{{^loggedIn}}<p class="meta"><a href="/login">{{t.loginForTools}}</a></p>{{/loggedIn}}{{/tools}}
        """,
        "lessonPlans": """
        <p class="crumbs"><a href="/me">{{t.back}}</a> ›</p>
        <h1>{{t.lessonPlans}}</h1>
        {{#plans}}<a class="card" href="{{url}}"><strong>{{title}}</strong>
        <div class="meta">{{#className}}{{className}} · {{/className}}{{count}} {{t.resourcesInPlan}} · {{t.updatedOn}} {{updated}}</div></a>{{/plans}}
        {{^plans}}<div class="card">{{t.noPlans}}</div>{{/plans}}
        <h2>{{t.createPlan}}</h2>
        <form class="card" method="post" action="/me/lessons"><input type="hidden" name="csrf" value="{{csrf}}">
        <p><label>{{t.planName}}<input name="title" maxlength="50" value="{{suggestedTitle}}"></label></p>
        <p><label>{{t.className}}<input name="className" maxlength="30"></label></p>
        <p><button class="button" type="submit">{{t.createPlan}}</button></p></form>
        """,
        "lessonPlan": """
        <style>@media print{header,.noprint{display:none!important}body{background:#fff}main{padding:0}
        .card{box-shadow:none;border-bottom:1px solid #ccc;border-radius:0}}
        .item{display:flex;gap:.6rem;align-items:flex-start}.item .number{font-weight:bold;min-width:1.6rem}
        .item form{display:inline}.item .actions{display:flex;flex-wrap:wrap;gap:.4rem;margin-top:.3rem}</style>
        <p class="crumbs noprint"><a href="/me/lessons">{{t.lessonPlans}}</a> ›</p>
        <h1>{{title}}</h1>
        <p class="meta">{{#className}}{{className}} · {{/className}}{{count}} {{t.resourcesInPlan}}</p>
        {{#hasItems}}<p class="noprint"><a class="button" href="{{presentURL}}">▶ {{t.present}}</a> \
        <button class="button" type="button" onclick="window.print()">{{t.printList}}</button></p>{{/hasItems}}
        {{#items}}<div class="card item"><span class="number">{{number}}</span><div>
        {{#url}}<strong><a href="{{url}}">{{title}}</a></strong><div class="meta">{{meta}}</div>{{/url}}\
        {{#gone}}<span class="meta">{{title}}</span>{{/gone}}
        <div class="actions noprint">\
        {{^isFirst}}<form method="post" action="/me/lessons/{{id}}/items/{{position}}"><input type="hidden" name="csrf" value="{{csrf}}">\
        <input type="hidden" name="action" value="up"><button type="submit">↑ {{t.moveUp}}</button></form>{{/isFirst}}\
        {{^isLast}}<form method="post" action="/me/lessons/{{id}}/items/{{position}}"><input type="hidden" name="csrf" value="{{csrf}}">\
        <input type="hidden" name="action" value="down"><button type="submit">↓ {{t.moveDown}}</button></form>{{/isLast}}\
        <form method="post" action="/me/lessons/{{id}}/items/{{position}}"><input type="hidden" name="csrf" value="{{csrf}}">\
        <input type="hidden" name="action" value="remove"><button type="submit">{{t.remove}}</button></form></div></div></div>{{/items}}
        {{^hasItems}}<div class="card">{{t.emptyPlan}}</div>{{/hasItems}}
        <p class="noprint"><a href="/me/lessons/{{id}}/delete">{{t.deletePlan}}</a></p>
        """,
        "lessonPlanDelete": """
        <h1>{{t.deletePlan}}</h1>
        <div class="card"><strong>{{title}}</strong> · {{count}} {{t.resourcesInPlan}}<p>{{t.deleteQuestion}}</p>
        <form method="post" action="/me/lessons/{{id}}/delete"><input type="hidden" name="csrf" value="{{csrf}}">
        <button class="button danger" type="submit">{{t.confirmDelete}}</button> <a class="button" href="/me/lessons/{{id}}">{{t.cancel}}</a></form></div>
        """,
        "trainingCourses": """
        <h1>{{t.teacherTraining}}</h1>
        <p class="meta">{{t.trainingIntro}}</p>
        {{#courses}}<a class="card" href="{{url}}"><strong>{{title}}</strong>
        <div class="meta">{{modules}} {{t.modules}} · {{hours}} {{t.hours}}{{#enrolled}} · ✔ {{t.enrolled}}{{/enrolled}}</div></a>{{/courses}}
        {{^courses}}<div class="card">{{t.noTraining}}</div>{{/courses}}
        """,
        "present": """
        <!doctype html>
        <html lang="{{lang}}">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{number}}/{{count}} {{title}} · {{planTitle}}</title>
        <style>
        *{box-sizing:border-box}
        html,body{margin:0;height:100%;background:#111;color:#fff;
        font-family:system-ui,"Noto Sans CJK SC","Microsoft YaHei",sans-serif;font-size:17px}
        .bar{display:flex;gap:.5rem;align-items:center;height:52px;padding:0 .5rem;background:#1d2330}
        .bar a,.bar button{color:#fff;background:#2e3748;border:0;border-radius:.4rem;min-height:44px;min-width:44px;
        padding:.55rem .9rem;text-decoration:none;font:inherit;white-space:nowrap}
        .bar .title{flex:1;min-width:0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;text-align:center}
        .bar .off{visibility:hidden}
        .stage{position:absolute;top:52px;left:0;right:0;bottom:0;display:flex;align-items:center;justify-content:center}
        .stage iframe{width:100%;height:100%;border:0;background:#fff}
        .stage video,.stage img{max-width:100%;max-height:100%}
        .stage audio{width:80%}
        body{overflow:hidden}
        @media (max-width:600px){.bar .label{display:none}}
        </style>
        </head>
        <body>
        <nav class="bar">{{#previous}}<a href="{{previous}}" rel="prev">‹<span class="label"> {{previousLabel}}</span></a>{{/previous}}\
        {{^previous}}<a class="off" aria-hidden="true">‹<span class="label"> {{previousLabel}}</span></a>{{/previous}}\
        <span class="title">{{number}} / {{count}} · {{title}}</span>\
        {{#next}}<a href="{{next}}" rel="next"><span class="label">{{nextLabel}} </span>›</a>{{/next}}\
        {{^next}}<a class="off" aria-hidden="true"><span class="label">{{nextLabel}} </span>›</a>{{/next}}\
        <button id="full" type="button" hidden>{{fullScreen}}</button><a href="{{exitURL}}">✕<span class="label"> {{exit}}</span></a></nav>
        <div class="stage">{{#isFrame}}<iframe src="{{url}}" title="{{title}}"></iframe>{{/isFrame}}\
        {{#isVideo}}<video controls playsinline src="{{url}}"></video>{{/isVideo}}\
        {{#isAudio}}<audio controls src="{{url}}"></audio>{{/isAudio}}\
        {{#isImage}}<img src="{{url}}" alt="{{title}}">{{/isImage}}</div>
        <script>
        (function () {
          // Moves between resources without leaving the page, so full screen stays on; without JavaScript the links
          // load the next page.
          var full = document.getElementById("full");
          if (document.fullscreenEnabled) {
            full.hidden = false;
            full.onclick = function () {
              if (document.fullscreenElement) { document.exitFullscreen(); }
              else { document.documentElement.requestFullscreen(); }
            };
          }
          function go(link) {
            if (!link || !window.fetch || !window.DOMParser) { if (link) location.href = link.href; return; }
            fetch(link.href, {credentials: "same-origin"}).then(function (answer) {
              if (!answer.ok) throw new Error(answer.status);
              return answer.text();
            }).then(function (html) {
              var page = new DOMParser().parseFromString(html, "text/html");
              document.querySelector(".bar").replaceWith(page.querySelector(".bar"));
              document.querySelector(".stage").replaceWith(page.querySelector(".stage"));
              document.title = page.title;
              history.replaceState(null, "", link.href);
              wire();
            }).catch(function () { location.href = link.href; });
          }
          function wire() {
            var full2 = document.getElementById("full");
            if (full2 !== full) { full2.hidden = full.hidden; full2.onclick = full.onclick; full = full2; }
            document.querySelectorAll(".bar a[rel]").forEach(function (link) {
              link.onclick = function (event) { event.preventDefault(); go(link); };
            });
          }
          document.addEventListener("keydown", function (event) {
            if (["ArrowRight", "PageDown"].indexOf(event.key) >= 0) go(document.querySelector(".bar a[rel=next]"));
            if (["ArrowLeft", "PageUp"].indexOf(event.key) >= 0) go(document.querySelector(".bar a[rel=prev]"));
          });
          wire();
        })();
        </script>
        </body>
        </html>
        """,
    ]
}
