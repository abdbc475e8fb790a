"""WCAG AA contrast for every text colour the stylesheet declares.

Each rule that sets ``color`` is measured against the background the same rule
sets; a rule without its own background is measured against both page
backgrounds (``--bg`` and ``--surface``), since it may appear on either. Code-token
rules (Pygments classes under ``.highlight``) are measured against the code
backgrounds (``--code-bg`` and the highlighted-line ``--code-hll``) instead.

Every check runs in both colour schemes: the light one in ``:root`` and the dark
one, ``@media (prefers-color-scheme: dark) { :root { ... } }``, which may only
override custom properties.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pygments.token import STANDARD_TYPES

from .sitebuild import ROOT

STYLESHEET = ROOT / "theme" / "static" / "css" / "style.css"
AA_NORMAL_TEXT = 4.5
PAGE_BACKGROUNDS = ("var(--bg)", "var(--surface)")
CODE_BACKGROUNDS = ("var(--code-bg)", "var(--code-hll)")
CODE_SCOPE = ".highlight"
DARK_BLOCK = re.compile(
    r"@media\s*\(\s*prefers-color-scheme\s*:\s*dark\s*\)\s*\{\s*:root\s*\{(?P<body>[^{}]*)\}\s*\}"
)
SCHEMES = ("light", "dark")


def strip_comments(css: str) -> str:
    return re.sub(r"/\*.*?\*/", "", css, flags=re.S)


def rules(css: str) -> list[tuple[str, dict[str, str]]]:
    """Flatten ``selector { declarations }`` pairs, looking inside @media blocks."""
    found = []
    position = 0
    css = strip_comments(css)
    pattern = re.compile(r"([^{}]+)\{([^{}]*)\}")
    while True:
        match = pattern.search(css, position)
        if not match:
            return found
        selector = match.group(1).strip()
        # "@media (...) { sel {" leaves the at-rule prefix in the selector text.
        selector = re.sub(r"^@[^{]*\{", "", selector).strip()
        declarations = {}
        for declaration in match.group(2).split(";"):
            name, colon, value = declaration.partition(":")
            if colon:
                declarations[name.strip().lower()] = value.replace("!important", "").strip()
        found.append((selector, declarations))
        position = match.end()


def custom_properties(css: str, scheme: str = "light") -> dict[str, str]:
    """The custom properties in force in ``scheme``: the dark block overrides the light."""
    root = next(decls for selector, decls in rules(css) if selector == ":root")
    variables = {name: value for name, value in root.items() if name.startswith("--")}
    if scheme == "dark":
        variables.update(dark_overrides(css))
    return variables


def dark_overrides(css: str) -> dict[str, str]:
    match = DARK_BLOCK.search(strip_comments(css))
    if not match:
        return {}
    (_, declarations), *_ = rules(":root {" + match.group("body") + "}")
    return declarations


def resolve(value: str, variables: dict[str, str]) -> str | None:
    """A #rrggbb colour, or None for values that are not a plain colour (transparent)."""
    for _ in range(5):
        reference = re.fullmatch(r"var\((--[\w-]+)\)", value.strip())
        if not reference:
            break
        value = variables[reference.group(1)]
    value = value.strip().lower()
    if re.fullmatch(r"#[0-9a-f]{3}", value):
        value = "#" + "".join(ch * 2 for ch in value[1:])
    if re.fullmatch(r"#[0-9a-f]{6}", value):
        return value
    if value in ("transparent", "inherit", "currentcolor", "none"):
        return None
    raise AssertionError(f"unsupported colour value {value!r}: add it to the contrast test")


def relative_luminance(hex_colour: str) -> float:
    channels = []
    for start in (1, 3, 5):
        channel = int(hex_colour[start : start + 2], 16) / 255
        channels.append(
            channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4
        )
    red, green, blue = channels
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(foreground: str, background: str) -> float:
    lighter, darker = sorted(
        (relative_luminance(foreground), relative_luminance(background)), reverse=True
    )
    return (lighter + 0.05) / (darker + 0.05)


def colour_pairs(css: str, scheme: str = "light") -> list[tuple[str, str, str]]:
    variables = custom_properties(css, scheme)
    pairs = []
    for selector, declarations in rules(css):
        if "color" not in declarations:
            continue
        foreground = resolve(declarations["color"], variables)
        if foreground is None:
            continue
        surroundings = CODE_BACKGROUNDS if CODE_SCOPE in selector else PAGE_BACKGROUNDS
        background = declarations.get("background-color") or declarations.get("background")
        backgrounds = [background] if background else list(surroundings)
        for candidate in backgrounds:
            resolved = resolve(candidate, variables)
            for page_background in [resolved] if resolved else surroundings:
                pairs.append((selector, foreground, resolve(page_background, variables)))
    return pairs


def failing_pairs(css: str, scheme: str) -> list[str]:
    return [
        f"{selector}: {fg} on {bg} = {contrast_ratio(fg, bg):.2f}:1"
        for selector, fg, bg in colour_pairs(css, scheme)
        if contrast_ratio(fg, bg) < AA_NORMAL_TEXT
    ]


def token_colours(css: str, scheme: str) -> dict[str, str]:
    """The colour each Pygments token class gets inside a code block.

    Pygments writes only a token's own short class (``s2`` for String.Double), and
    CSS does not follow the token hierarchy, so a class without a rule of its own
    shows in the code block's text colour (``pre``'s).
    """
    variables = custom_properties(css, scheme)
    block = resolve("var(--text)", variables)
    for selector, declarations in rules(css):
        if selector in ("pre", f"{CODE_SCOPE} pre") and "color" in declarations:
            block = resolve(declarations["color"], variables)
    colours = {}
    for short in sorted({short for short in STANDARD_TYPES.values() if short}):
        colours[short] = block
        for selector, declarations in rules(css):
            parts = {part.strip() for part in selector.split(",")}
            if f"{CODE_SCOPE} .{short}" in parts and "color" in declarations:
                colours[short] = resolve(declarations["color"], variables)
    return colours


def test_ratio_formula_matches_known_values():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1.0)
    # WebAIM's checker gives 4.54:1 for #767676 on white, the lightest AA grey.
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    assert contrast_ratio("#777777", "#ffffff") < AA_NORMAL_TEXT


def test_the_check_catches_a_low_contrast_rule():
    css = ":root { --bg: #ffffff; --surface: #eeeeee; } .faint { color: #aaaaaa; }"
    failing = [p for p in colour_pairs(css) if contrast_ratio(p[1], p[2]) < AA_NORMAL_TEXT]
    assert {p[0] for p in failing} == {".faint"}


@pytest.mark.parametrize("scheme", SCHEMES)
def test_every_declared_text_colour_meets_wcag_aa(scheme):
    css = STYLESHEET.read_text(encoding="utf-8")
    pairs = colour_pairs(css, scheme)
    assert len(pairs) > 20, "the parser found suspiciously few colour rules"
    failures = failing_pairs(css, scheme)
    assert not failures, f"below 4.5:1 in the {scheme} scheme:\n" + "\n".join(failures)


def test_the_dark_scheme_only_changes_custom_properties():
    css = STYLESHEET.read_text(encoding="utf-8")
    assert DARK_BLOCK.search(strip_comments(css)), "no prefers-color-scheme: dark block"
    dark = dark_overrides(css)
    light = custom_properties(css, "light")
    assert not [name for name in dark if not name.startswith("--")]
    assert not set(dark) - set(light), "the dark scheme names a property the light one lacks"
    for role in ("--bg", "--surface", "--text", "--muted", "--accent", "--code-bg"):
        assert dark.get(role) and dark[role] != light[role], f"{role} is not redefined for dark"
    # Form controls and scrollbars follow the scheme too.
    root = next(decls for selector, decls in rules(css) if selector == ":root")
    assert root.get("color-scheme") == "light dark"
    # The dark block is the only at-rule that touches :root.
    assert css.count("prefers-color-scheme") == 1


@pytest.mark.parametrize("scheme", SCHEMES)
def test_every_pygments_token_is_readable_on_code_backgrounds(scheme):
    css = STYLESHEET.read_text(encoding="utf-8")
    variables = custom_properties(css, scheme)
    colours = token_colours(css, scheme)
    assert len(colours) > 70, "Pygments' token list looks too short"
    failures = [
        f".{short}: {colour} on {background} = {contrast_ratio(colour, background):.2f}:1"
        for short, colour in colours.items()
        for background in (resolve(b, variables) for b in CODE_BACKGROUNDS)
        if contrast_ratio(colour, background) < AA_NORMAL_TEXT
    ]
    assert not failures, f"unreadable tokens in the {scheme} scheme:\n" + "\n".join(failures)
    # Highlighting means colour: keywords, strings, numbers, comments and names differ.
    distinct = {colours[short] for short in ("k", "s2", "mi", "c1", "nf", "nb")}
    assert len(distinct) == 6, f"too few token colours in the {scheme} scheme: {distinct}"


def test_the_check_catches_an_unreadable_dark_token():
    css = (
        ":root { --bg: #ffffff; --surface: #eeeeee; --text: #111111; --code-bg: #eeeeee;"
        " --code-hll: #dddddd; --kw: #222222; }"
        " @media (prefers-color-scheme: dark) { :root { --bg: #000000; --surface: #111111;"
        " --text: #eeeeee; --code-bg: #111111; --code-hll: #222222; --kw: #333333; } }"
        " .highlight .k { color: var(--kw); }"
    )
    assert not failing_pairs(css, "light")
    assert [line.split(":")[0] for line in failing_pairs(css, "dark")] == [".highlight .k"] * 2
    assert token_colours(css, "dark")["k"] == "#333333"
    assert token_colours(css, "dark")["s2"] == "#eeeeee", "a token without a rule: block text"


@pytest.mark.parametrize("scheme", SCHEMES)
def test_focus_outline_is_visible_against_page_backgrounds(scheme):
    css = STYLESHEET.read_text(encoding="utf-8")
    variables = custom_properties(css, scheme)
    focus = resolve("var(--focus)", variables)
    # WCAG 1.4.11: non-text contrast of at least 3:1.
    for background in PAGE_BACKGROUNDS:
        assert contrast_ratio(focus, resolve(background, variables)) >= 3
    focus_rules = [decls for selector, decls in rules(css) if ":focus-visible" in selector]
    assert any("outline" in decls and "var(--focus)" in decls["outline"] for decls in focus_rules)


def test_single_stylesheet_without_remote_imports():
    css_files = list((Path(STYLESHEET).parents[1]).rglob("*.css"))
    assert css_files == [STYLESHEET]
    css = STYLESHEET.read_text(encoding="utf-8")
    assert "@import" not in css
    assert "@font-face" not in css
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", css)
