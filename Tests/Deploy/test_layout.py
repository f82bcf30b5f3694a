"""README's module graph says what Package.swift declares.

The layout section of README.md lists, for every module of ours, the modules of ours it imports. This
reads Package.swift through `swift package dump-package` and fails when a module is missing from the
list, listed with other dependencies, or listed and gone. Run by tools/test.sh (the Deploy suite); on
its own:

    .venv/bin/python -m pytest Tests/Deploy/test_layout.py -q
"""
import json
import pathlib
import re
import shutil
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
# Embedded resources, the build tool and plugin that embed the web client, and the C shims: declared in
# Package.swift, not part of the graph.
NOT_IN_GRAPH = {"LedgerMigrations", "WebAssets", "CrowEmbed", "EmbedFiles", "CSecp256k1", "COpenSSL", "CSQLiteSetup"}


def declared_graph():
    swift = shutil.which("swift") or "/opt/swift/usr/bin/swift"
    dump = subprocess.run([swift, "package", "dump-package"], cwd=ROOT, capture_output=True, text=True, check=True, timeout=300)
    package = json.loads(dump.stdout)
    ours = {target["name"] for target in package["targets"]}
    graph = {}
    for target in package["targets"]:
        if target["type"] in ("test", "system") or target["name"] in NOT_IN_GRAPH:
            continue
        names = set()
        for dependency in target.get("dependencies", []):
            for kind in ("byName", "target"):
                if kind in dependency and dependency[kind][0] in ours:
                    names.add(dependency[kind][0])
        graph[target["name"]] = names - NOT_IN_GRAPH
    return graph


def readme_graph():
    text = (ROOT / "README.md").read_text()
    start = text.index("What each module imports of ours")
    block = text[start : text.index("## Documentation", start)]
    graph = {}
    current = None
    for line in block.splitlines():
        if not line.startswith("    "):
            continue
        match = re.match(r"^    (\S.*?)\s{2,}(.*)$", line)
        if match:
            modules = [name.strip() for name in match.group(1).split(",")]
            listed = match.group(2).strip()
            imports = set() if listed == "nothing of ours" else {name.strip() for name in listed.split(",") if name.strip()}
            for module in modules:
                graph[module] = set(imports)
            current = modules
        elif current:  # a continuation line
            more = {name.strip() for name in line.strip().split(",") if name.strip()}
            for module in current:
                graph[module] |= more
    return graph


def test_the_readme_module_graph_matches_package_swift():
    declared = declared_graph()
    listed = readme_graph()
    assert sorted(listed) == sorted(declared), "modules listed in README.md differ from Package.swift's"
    for module, imports in declared.items():
        assert listed[module] == imports, f"{module}: README.md lists {sorted(listed[module])}, Package.swift declares {sorted(imports)}"
