"""Hostile comment bodies, in the spirit of the OWASP XSS filter-evasion cheat sheet.

Each entry is (label, comment body). Every one must render to HTML holding nothing
that can run script, load a resource or submit anything.
"""

from __future__ import annotations

XSS_CORPUS: list[tuple[str, str]] = [
    # Plain script tags and tag-splitting tricks
    ("script tag", "<script>alert(1)</script>"),
    ("script src upper", '<SCRIPT SRC="http://evil.example/x.js"></SCRIPT>'),
    ("script split", "<scr<script>ipt>alert(1)</scr</script>ipt>"),
    ("double open bracket", "<<script>script>alert(1)//<</script>/script>"),
    ("null byte in tag", "<scr\x00ipt>alert(1)</scr\x00ipt>"),
    ("attribute break-out", '"><script>alert(1)</script>'),
    ("textarea break-out", "</textarea><script>alert(1)</script>"),
    ("title break-out", "</title><script>alert(1)</script>"),
    ("xss probe", "'';!--\"<XSS>=&{()}"),
    ("unknown element handler", "<xss onafterscriptexecute=alert(1)><script>1</script>"),
    ("html comment", "<!--<script>alert(1)</script>-->"),
    ("cdata", "<![CDATA[<script>alert(1)</script>]]>"),
    ("conditional comment", "<!--[if gte IE 4]><script>alert(1)</script><![endif]-->"),
    # Event handlers
    ("img onerror", "<img src=x onerror=alert(1)>"),
    ("img slashes", '<img/src="x"/onerror=alert(1)>'),
    ("svg onload", "<svg onload=alert(1)>"),
    ("svg mixed case", "<SvG/OnLoAd=alert(1)>"),
    ("body onload", "<body onload=alert(1)>"),
    ("details ontoggle", "<details open ontoggle=alert(1)>"),
    ("video source onerror", '<video><source onerror="alert(1)"></video>'),
    ("input autofocus", "<input autofocus onfocus=alert(1)>"),
    ("p onclick", '<p onclick="alert(1)">hi</p>'),
    ("allowed link with handler", '<a href="http://ok.example" onmouseover="alert(1)">ok</a>'),
    ("mailto with handler", '<a href="mailto:x@example.com" onclick=alert(1)>mail</a>'),
    ("marquee onstart", "<marquee onstart=alert(1)>x</marquee>"),
    # javascript:, vbscript:, data: URLs, with encodings and case games
    ("a javascript", '<a href="javascript:alert(1)">click</a>'),
    ("a mixed case", '<a href="JaVaScRiPt:alert(1)">click</a>'),
    ("a leading space", '<a href=" javascript:alert(1)">x</a>'),
    ("a tab inside scheme", '<a href="jav&#x09;ascript:alert(1)">x</a>'),
    ("a newline inside scheme", '<a href="jav&#x0A;ascript:alert(1)">x</a>'),
    (
        "a decimal entities",
        '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    ),
    (
        "a padded decimal entities",
        '<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105'
        '&#0000112&#0000116&#0000058alert(1)">x</a>',
    ),
    (
        "a hex entities",
        '<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;'
        'alert(1)">x</a>',
    ),
    ("a vbscript", '<a href="vbscript:msgbox(1)">x</a>'),
    ("a data html", '<a href="data:text/html,<script>alert(1)</script>">x</a>'),
    ("img javascript", "<IMG SRC=\"javascript:alert('x');\">"),
    (
        "img entity javascript",
        "<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)>",
    ),
    (
        "img hex no semicolons",
        "<IMG SRC=&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A;alert(1)>",
    ),
    ("iframe javascript", '<iframe src="javascript:alert(1)"></iframe>'),
    ("iframe srcdoc", '<iframe srcdoc="<script>alert(1)</script>"></iframe>'),
    (
        "object data uri",
        '<object data="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="></object>',
    ),
    ("embed svg data", '<embed src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">'),
    ("meta refresh", '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">'),
    ("link stylesheet", '<link rel=stylesheet href="javascript:alert(1)">'),
    ("base href", '<base href="javascript:alert(1)//">'),
    ("form action", '<form action="javascript:alert(1)"><input type=submit></form>'),
    ("button formaction", '<button formaction="javascript:alert(1)">go</button>'),
    ("isindex", "<isindex action=javascript:alert(1) type=image>"),
    ("table background", '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>'),
    # CSS
    ("style element", '<style>body{background:url("javascript:alert(1)")}</style>'),
    ("style attribute", '<div style="background-image:url(javascript:alert(1))">x</div>'),
    ("style expression", '<p style="width: expression(alert(1))">x</p>'),
    # SVG and MathML
    ("svg script", "<svg><script>alert(1)</script></svg>"),
    ("svg xlink", '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>'),
    ("svg animate", '<svg><animate attributeName="href" to="javascript:alert(1)"/></svg>'),
    ("math href", '<math href="javascript:alert(1)">CLICK</math>'),
    ("math mglyph confusion", "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>"),
    # Markdown link and image tricks
    ("md link javascript", "[click](javascript:alert(1))"),
    ("md link upper", "[click](JAVASCRIPT:alert(1))"),
    ("md link entity colon", "[click](javascript&#58;alert(1))"),
    ("md link entity j", "[click](&#106;avascript:alert(1))"),
    ("md link hex entity", "[x](&#x6A;avascript:alert(1))"),
    ("md link data", "[click](data:text/html;base64,PHNjcmlwdD4=)"),
    ("md link vbscript", "[click](vbscript:msgbox)"),
    ("md link spaces", "[click]( javascript:alert(1) )"),
    ("md link angle brackets", "[click](<javascript:alert(1)>)"),
    ("md link title break-out", '[x](http://ok.example "t\\" onmouseover=\\"alert(1)")'),
    ("md link newline", "[x](java\nscript:alert(1))"),
    ("md link unclosed", "[x](javascript:alert(1)"),
    ("md link protocol relative", "[x](//evil.example/path)"),
    ("md link relative", "[x](../../admin)"),
    ("md image javascript", "![x](javascript:alert(1))"),
    ("md image tracker", "![pixel](http://evil.example/pixel.png)"),
    ("md image alt break-out", '![x" onerror="alert(1)](http://x.example/a.png)'),
    ("md reference link", "[click][1]\n\n[1]: javascript:alert(1)"),
    ("md reference image", "![img][p]\n\n[p]: http://evil.example/t.png"),
    ("md short reference", "[click]\n\n[click]: vbscript:msgbox(1)"),
    ("md autolink javascript", "<javascript:alert(1)>"),
    ("md autolink quote", '<http://ok.example/"onmouseover="alert(1)>'),
    ("md automail script", "<mailto:x@y.example?body=<script>>"),
    ("md link then raw img", "[a](http://ok.example)<img src=x onerror=alert(1)>"),
    ("md emphasis around script", "**<script>**alert(1)**</script>**"),
    ("md blockquote script", "> <script>alert(1)</script>"),
    ("md list img", "- <img src=x onerror=alert(1)>\n- two"),
    ("md code span", "`<script>alert(1)</script>`"),
    ("md code block", "    <script>alert(1)</script>\n    <img src=x onerror=alert(1)>"),
    ("md html block", "<div>\n<script>alert(1)</script>\n</div>"),
    # Broken nesting
    ("broken nesting", "<b><i>bold <script>alert(1)</b></i>"),
    ("script inside link", '<a href="http://x.example"><script>alert(1)</script></a>'),
    ("unclosed attribute", '<a href="http://ok.example onmouseover=alert(1)//">x'),
    ("query with script", '<a href="http://ok.example/?q=<script>">q</a>'),
]
