"""Each language's tags on a small fixture, parsed by the real grammar wheel."""

from __future__ import annotations

import pytest

from mom_cli.index.languages import LANGUAGES, language_for
from mom_cli.index.tags import extract

CASES: dict[str, tuple[str, str, set[tuple[str, str]], set[str]]] = {
    "python": (
        "m.py",
        "LIMIT = 3\n\nclass Box(Base):\n    def put(self, x: Item):\n        helper(x)\n"
        "        self.items.append(x)\n\ndef helper(v):\n    return v\n",
        {("LIMIT", "constant"), ("Box", "class"), ("put", "method"), ("helper", "function")},
        {"helper", "append", "Base", "Item"},
    ),
    "javascript": (
        "m.js",
        "class Store { save(item) { validate(item); this.db.write(item); } }\n"
        "function validate(x) { return new Checker(x); }\n"
        "const render = (a) => format(a);\n",
        {("Store", "class"), ("save", "method"), ("validate", "function"), ("render", "function")},
        {"validate", "write", "Checker", "format"},
    ),
    "typescript": (
        "m.ts",
        "interface Shape { area(): number }\ntype Id = string;\n"
        "class Circle implements Shape { area(): number { return compute(this.r); } }\n"
        "enum Color { Red }\nfunction make(id: Id): Shape { return new Circle(); }\n",
        {
            ("Shape", "interface"),
            ("Id", "type"),
            ("Circle", "class"),
            ("area", "method"),
            ("Color", "type"),
            ("make", "function"),
        },
        {"compute", "Circle", "Shape", "Id"},
    ),
    "tsx": (
        "m.tsx",
        "function Button(props: Props) { return <div onClick={props.go}>{label()}</div>; }\n",
        {("Button", "function")},
        {"label", "Props"},
    ),
    "rust": (
        "m.rs",
        "struct Point { x: i32 }\nimpl Point { fn norm(&self) -> i32 { square(self.x) } }\n"
        "trait Shape { fn area(&self) -> f64; }\nfn square(v: i32) -> i32 { v * v }\n"
        "const MAX: i32 = 3;\nmacro_rules! twice { ($e:expr) => { $e * 2 } }\n",
        {
            ("Point", "class"),
            ("Point", "impl"),
            ("norm", "method"),
            ("Shape", "interface"),
            ("area", "method"),
            ("square", "function"),
            ("MAX", "constant"),
            ("twice", "macro"),
        },
        {"square", "Point"},
    ),
    "go": (
        "m.go",
        "package m\n\nconst Limit = 3\n\ntype Server struct{ port int }\n\n"
        "func (s *Server) Start() error { return listen(s.port) }\n\n"
        'func listen(p int) error { return fmt.Errorf("x") }\n',
        {("Limit", "constant"), ("Server", "type"), ("Start", "method"), ("listen", "function")},
        {"listen", "Errorf", "Server"},
    ),
    "java": (
        "M.java",
        "interface Repo { void save(); }\n"
        "class Store implements Repo { Store() {} public void save() { log(new Entry()); } }\n"
        "enum Level { LOW }\n",
        {("Repo", "interface"), ("Store", "class"), ("save", "method"), ("Level", "type")},
        {"log", "Entry", "Repo"},
    ),
    "c": (
        "m.c",
        "#define SIZE 4\nstruct node { int v; };\ntypedef int handle;\n"
        "int area(int w);\nstatic int helper(int x) { return area(x) * SIZE; }\n"
        "char *name(void) { return 0; }\n",
        {
            ("SIZE", "constant"),
            ("node", "class"),
            ("handle", "type"),
            ("area", "declaration"),
            ("helper", "function"),
            ("name", "function"),
        },
        {"area"},
    ),
    "cpp": (
        "m.cpp",
        "namespace geo {\nclass Shape { public: double area(); };\n}\n"
        "double geo::Shape::area() { return compute(2.0); }\n"
        "int main() { geo::Shape s; return helper(); }\n",
        {("geo", "module"), ("Shape", "class"), ("area", "method"), ("main", "function")},
        {"compute", "helper", "Shape"},
    ),
}


def test_every_language_has_a_case() -> None:
    assert {spec.name for spec in LANGUAGES} == set(CASES)


@pytest.mark.parametrize("language", sorted(CASES))
def test_tags(language: str) -> None:
    path, source, want_defs, want_refs = CASES[language]
    spec = language_for(path)
    assert spec is not None and spec.name == language
    tags = extract(source.encode(), language)
    got = {(d.name, d.kind) for d in tags.definitions}
    assert want_defs <= got, f"missing {want_defs - got}; got {got}"
    assert want_refs <= set(tags.references), f"missing {want_refs - set(tags.references)}"
    assert tags.error_line is None
    for d in tags.definitions:
        assert 1 <= d.line <= d.end_line <= tags.line_count
        assert d.signature and "\n" not in d.signature


def test_python_spans_scopes_and_signatures() -> None:
    source = b"class A:\n    def m(self, x):\n        return x\n\n\ndef f():\n    pass\n"
    defs = {d.name: d for d in extract(source, "python").definitions}
    assert (defs["A"].line, defs["A"].end_line) == (1, 3)
    assert (defs["m"].kind, defs["m"].scope, defs["m"].line) == ("method", "A", 2)
    assert defs["m"].signature == "def m(self, x):"
    assert defs["f"].scope == "" and defs["f"].line == 6


def test_reference_first_line_and_count_are_recorded() -> None:
    tags = extract(b"def a():\n    b()\n    b()\n", "python")
    assert tags.references["b"] == 2
    assert tags.reference_counts["b"] == 2


def test_syntax_error_still_yields_what_parses() -> None:
    tags = extract(b"def good():\n    return 1\n\ndef broken(:\n    pass\n", "python")
    assert "good" in {d.name for d in tags.definitions}
    assert tags.error_line == 4


def test_unknown_extension() -> None:
    assert language_for("notes.txt") is None
    assert language_for("dir.py/file") is None
