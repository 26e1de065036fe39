import Mustache

/// The teacher web UI's Mustache templates. They live in the binary, so a node needs no template files on disk.
///
/// Every page works without JavaScript and fits a 360 px phone: one column, large tap targets, system fonts with the
/// Noto CJK fallback that Debian ships.
enum Templates {
    /// The library holding every template, registered by name.
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, text) in all.merging(records, uniquingKeysWith: { first, _ in first }).merging(
            teacherTools, uniquingKeysWith: { first, _ in first })
        {
            // The templates are constants of this file; a parse error is a programming error caught by the tests.
            try! library.register(text, named: name)
        }
        return library
    }()

    static let all: [String: String] = [
        "layout": layout, "home": home, "bundle": bundle, "resource": resource, "search": search,
        "browse": browse, "resourceCard": resourceCard, "pager": pager, "error": error,
        "share": share,
    ]

    static let layout = """
        <!doctype html>
        <html lang="{{lang}}">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · Satchel</title>
        <style>
        *{box-sizing:border-box}
        body{font-family:system-ui,"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:0;background:#f6f7f9;
        color:#1d2330;line-height:1.6;font-size:17px;overflow-wrap:anywhere}
        header{background:#1f6f54;color:#fff;padding:.5rem 1rem}
        header nav{display:flex;gap:1rem;align-items:center;flex-wrap:wrap;max-width:60rem;margin:0 auto}
        header a{color:#fff;text-decoration:none;padding:.3rem 0}
        header .brand{font-weight:bold;margin-right:auto}
        form.search{display:flex;gap:.4rem;max-width:60rem;margin:.5rem auto 0}
        form.search input{flex:1;width:auto;max-width:none;min-width:0;margin:0;font-size:16px;padding:.5rem;border:0;
        border-radius:.4rem}
        form.search button{font-size:1rem;padding:.5rem .9rem;border:0;border-radius:.4rem;background:#ffd45c}
        main{max-width:60rem;margin:0 auto;padding:.5rem 1rem 2rem}
        h1{font-size:1.4rem;margin:.8rem 0}
        h2{font-size:1.15rem;margin:1.2rem 0 .4rem}
        .card{display:block;background:#fff;border-radius:.5rem;padding:.7rem 1rem;margin:.5rem 0;
        box-shadow:0 1px 2px #0002;color:inherit;text-decoration:none}
        .card strong{color:#1f5fa8}
        .meta{color:#5a6270;font-size:.9rem}
        .chips{display:flex;flex-wrap:wrap;gap:.5rem;padding:0;list-style:none}
        .chips a{display:inline-block;background:#fff;border:1px solid #cfd6df;border-radius:1rem;
        padding:.35rem .9rem;text-decoration:none;color:#1d2330}
        .crumbs{font-size:.9rem}
        .meta span{white-space:nowrap}
        video{width:100%}
        video,img,audio{max-width:100%;height:auto;display:block;margin:.5rem 0;background:#000}
        audio{background:none;width:100%}
        iframe{width:100%;height:75vh;border:1px solid #ccd;background:#fff}
        @media (max-width:700px){iframe.wide-only{display:none}}
        a{color:#1f5fa8}
        .button{display:inline-block;background:#1f6f54;color:#fff;padding:.5rem 1rem;border-radius:.4rem;
        text-decoration:none;margin:.3rem .3rem .3rem 0}
        mark{background:#ffe58a;padding:0 .1em}
        .pager{display:flex;gap:1rem;justify-content:space-between;margin:1rem 0}
        .pager a{display:inline-block;min-height:44px;padding:.6rem 0}
        label{display:block}
        input,select,textarea,button{font:inherit;font-size:16px}
        input,select,textarea{display:block;width:100%;max-width:28rem;min-height:44px;padding:.5rem .7rem;
        margin-top:.25rem;border:1px solid #aab3bf;border-radius:.4rem;background:#fff;color:inherit}
        input[type=hidden]{display:none}
        input[type=radio],input[type=checkbox]{display:inline-block;width:1.25rem;height:1.25rem;min-height:0;
        margin:0;padding:0}
        button,.button{min-height:44px;cursor:pointer}
        button.button{border:0}
        button:not(.button){padding:.5rem 1rem;border:1px solid #aab3bf;border-radius:.4rem;background:#fff}
        label.choice{display:flex;gap:.6rem;align-items:center;min-height:44px}
        .danger{background:#b3261e}
        .tools{display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-end;margin:.5rem 0}
        .tools form{margin:0}.tools select{display:inline-block;width:auto;max-width:100%}
        .qr svg{display:block;width:min(80vw,24rem);height:auto;margin:.5rem auto}
        .share-link{font-family:ui-monospace,monospace;font-size:1.1rem;background:#fff;border:1px solid #cfd6df;
        border-radius:.4rem;padding:.5rem .7rem;user-select:all;-webkit-user-select:all}
        </style>
        </head>
        <body>
        <header>
        <nav><a class="brand" href="/">Satchel</a><a href="/browse">{{t.browse}}</a>\
        {{#isAdmin}}<a href="/admin">{{t.admin}}</a>{{/isAdmin}}{{#hasUser}}<a href="/me">{{user}}</a>{{/hasUser}}{{^hasUser}}<a href="/login">{{t.login}}</a>{{/hasUser}}\
        <a href="{{switchURL}}" hreflang="{{switchLang}}">{{switchLabel}}</a></nav>
        <form class="search" action="/search" method="get" role="search">
        <input type="search" name="q" value="{{query}}" placeholder="{{t.searchPlaceholder}}" aria-label="{{t.search}}">
        <button type="submit">{{t.search}}</button>
        </form>
        </header>
        <main>
        {{{body}}}
        </main>
        </body>
        </html>
        """

    static let resourceCard = """
        <a class="card" href="/resources/{{bundleSegment}}/{{idSegment}}"><strong>{{{titleHTML}}}</strong>
        <div class="meta">{{{metaHTML}}}</div>
        {{#snippetHTML}}<div class="meta">{{{snippetHTML}}}</div>{{/snippetHTML}}</a>
        """

    static let pager = """
        {{#pager}}<nav class="pager">{{#first}}<a href="{{first}}">← {{firstLabel}}</a>{{/first}}{{#previous}}<a href="{{previous}}">← {{t.previous}}</a>{{/previous}}\
        <span class="meta">{{label}}</span>{{#next}}<a href="{{next}}">{{t.next}} →</a>{{/next}}</nav>{{/pager}}
        """

    static let home = """
        <h1>{{t.title}}</h1>
        {{^bundles}}<div class="card">{{t.empty}}</div>{{/bundles}}
        {{#hasStages}}<h2>{{t.browseByStage}}</h2>
        <ul class="chips">{{#stages}}<li><a href="{{url}}">{{value}} <span class="meta">{{count}}</span></a></li>\
        {{/stages}}</ul>{{/hasStages}}
        <p><a class="button" href="/training">{{t.teacherTraining}}</a>{{#mine}} <a class="button" href="/me/lessons">{{t.myLessons}}</a>{{/mine}}</p>
        {{#hasFavourites}}<h2>{{t.favourites}} <a class="meta" href="/me/favourites">{{t.seeAll}}</a></h2>\
        {{#favourites}}{{> resourceCard}}{{/favourites}}{{/hasFavourites}}
        {{#hasRecentViews}}<h2>{{t.recentViews}} <a class="meta" href="/me/recent">{{t.seeAll}}</a></h2>\
        {{#recentViews}}{{> resourceCard}}{{/recentViews}}{{/hasRecentViews}}
        {{#hasRecent}}<h2>{{t.recent}}</h2>{{#recent}}{{> resourceCard}}{{/recent}}{{/hasRecent}}
        {{#hasBundles}}<h2>{{t.bundles}}</h2>
        {{#bundles}}<a class="card" href="/bundles/{{idSegment}}"><strong>{{title}}</strong>
        <div class="meta">{{id}} · v{{version}} · {{size}}</div></a>{{/bundles}}{{/hasBundles}}
        """

    static let bundle = """
        <p class="crumbs"><a href="/">{{t.home}}</a> ›</p>
        <h1>{{bundleTitle}}</h1>
        <p class="meta">v{{version}} · {{size}} · {{count}} {{t.resourcesUnit}}</p>
        {{#resources}}{{> resourceCard}}{{/resources}}
        """

    static let resource = """
        <p class="crumbs"><a href="/">{{t.home}}</a> › <a href="/bundles/{{bundleSegment}}">{{bundleTitle}}</a> ›</p>
        <h1>{{resourceTitle}}</h1>
        <p class="meta">{{meta}}</p>
        {{#description}}<p>{{description}}</p>{{/description}}
        {{> resourceTools}}
        {{^isTraining}}<p><a class="button" href="/share/{{bundleSegment}}/{{idSegment}}">{{t.shareWithStudents}}</a>\
        </p>{{/isTraining}}
        {{#isVideo}}<video controls preload="metadata" playsinline src="{{url}}"></video>{{/isVideo}}
        {{#isAudio}}<audio controls preload="metadata" src="{{url}}"></audio>{{/isAudio}}
        {{#isImage}}<img src="{{url}}" alt="{{resourceTitle}}">{{/isImage}}
        {{#isPage}}<p><a class="button" href="{{url}}">{{t.openFull}}</a> \
        <a class="button" href="{{downloadURL}}" download>{{t.download}} ({{size}})</a></p>\
        {{^isTraining}}<iframe class="wide-only" src="{{url}}" title="{{resourceTitle}}" loading="lazy"></iframe>{{/isTraining}}\
        {{#isTraining}}<iframe src="{{url}}" title="{{resourceTitle}}"></iframe>{{/isTraining}}{{/isPage}}
        {{#isPDF}}<p><a class="button" href="{{url}}">{{t.openFull}}</a> \
        <a class="button" href="{{downloadURL}}" download>{{t.download}} ({{size}})</a></p>\
        <iframe class="wide-only" src="{{url}}" title="{{resourceTitle}}" loading="lazy"></iframe>{{/isPDF}}
        {{^isEmbedded}}<p><a class="button" href="{{downloadURL}}" download>{{t.download}} ({{size}})</a></p>{{/isEmbedded}}
        {{#isTraining}}<p><a href="/training/{{bundleSegment}}">{{t.backToCourse}}</a></p>{{/isTraining}}
        <script>
        (function () {
          // Reports the time this page is visible, at most every minute; without JavaScript nothing is lost.
          var shown = document.visibilityState === "visible" ? Date.now() : 0, sent = 0;
          function report() {
            if (shown) { sent += Date.now() - shown; shown = document.visibilityState === "visible" ? Date.now() : 0; }
            var seconds = Math.round(sent / 1000);
            if (seconds < 1 || !navigator.sendBeacon) return;
            sent = 0;
            navigator.sendBeacon("/api/v1/beacon", new Blob([JSON.stringify(
              {bundleId: "{{bundleId}}", resourceId: "{{resourceId}}", seconds: seconds, clientTime: Date.now()})],
              {type: "application/json"}));
          }
          document.addEventListener("visibilitychange", function () {
            if (document.visibilityState === "visible") { shown = Date.now(); } else { report(); }
          });
          window.addEventListener("pagehide", report);
          setInterval(report, 60000);
        })();
        </script>
        """

    static let search = """
        <h1>{{t.searchResults}}</h1>
        {{#hasQuery}}<p class="meta">{{summary}}{{#hasFilter}} · {{t.filteredBy}}{{filterLabel}}{{/hasFilter}}</p>{{/hasQuery}}
        {{#facets}}<ul class="chips"><li class="meta">{{name}}</li>{{#values}}<li><a href="{{url}}">{{value}} \
        <span class="meta">{{count}}</span></a></li>{{/values}}</ul>{{/facets}}
        {{#resources}}{{> resourceCard}}{{/resources}}
        {{#noResults}}<div class="card">{{t.noResults}}</div>
        {{#hasSuggestions}}<h2>{{t.tryWords}}</h2><ul class="chips">{{#suggestions}}<li><a href="{{url}}">{{word}}</a></li>\
        {{/suggestions}}</ul>{{/hasSuggestions}}
        <p><a class="button" href="{{nearestURL}}">{{nearestLabel}}</a></p>{{/noResults}}
        {{> pager}}
        """

    static let browse = """
        <p class="crumbs"><a href="/browse">{{t.browse}}</a>{{#crumbs}} › <a href="{{url}}">{{value}}</a>{{/crumbs}}</p>
        <h1>{{heading}}</h1>
        {{#hasChoices}}<h2>{{levelName}}</h2><ul class="chips">{{#choices}}<li><a href="{{url}}">{{value}} \
        <span class="meta">{{count}}</span></a></li>{{/choices}}</ul>{{/hasChoices}}
        <h2>{{t.resources}} <span class="meta">{{total}}</span></h2>
        {{#resources}}{{> resourceCard}}{{/resources}}
        {{> pager}}
        """

    static let share = """
        <p class="crumbs"><a href="/">{{t.home}}</a> › <a href="{{resourcePath}}">{{resourceTitle}}</a> ›</p>
        <h1>{{t.shareWithStudents}} · {{resourceTitle}}</h1>
        <div class="qr" role="img" aria-label="{{t.qrLabel}}">{{{qrSVG}}}</div>
        <p>{{t.shareHowTo}}</p>
        <h2>{{t.shareLink}}</h2>
        <p class="share-link">{{link}}</p>
        """

    static let error = """
        <h1>{{heading}}</h1>
        <div class="card">{{message}}</div>
        <p>{{#login}}<a class="button" href="/login">{{t.login}}</a> {{/login}}<a class="button" href="/">{{t.home}}</a></p>
        """
}
