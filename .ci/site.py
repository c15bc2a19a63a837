"""Build the documentation site offline, into `_docs/`: `python .ci/site.py`.

`nbdev_docs` (Quarto) is the standard build. Where Quarto cannot be installed, this renders the same
processed notebooks with MkDocs Material and mkdocs-jupyter, loading nothing from outside hosts:

1. nbdev's notebook processors (those `nbdev_proc_nbs` runs) write `_proc/*.ipynb`: front matter from
   `# Title` + `> description`, `show_doc` cells (re-run), hidden and exported cells removed, doc links.
2. What Quarto would do with them is done here: the front matter becomes the page title and description,
   cell options (`#| echo: false`, `output: false`, `include: false`, `output: asis`) become cells, tags
   and markdown that mkdocs-jupyter renders, doc links become relative links.
3. `mkdocs build --strict` over those pages with a generated mkdocs.yml: pages in `nbs/sidebar.yml`
   order, then any notebook it does not list, by file name.
"""
import ast, json, os, re, shutil, subprocess, sys, time, warnings
from pathlib import Path
import markdown, yaml
from execnb.nbio import read_nb, write_nb, mk_cell
from latex2mathml.converter import convert
from mkdocs.structure.toc import get_toc
from nbdev.config import get_config
from nbdev.doclinks import _nbpath2html
from nbdev.processors import FilterDefaults, exec_show_docs, _do_eval, _show_docs

ROOT = Path(__file__).resolve().parent.parent
PROC = ROOT/'_proc'           # nbdev's processed notebooks, as `nbdev_proc_nbs` writes them
BUILD = PROC/'_mkdocs'        # generated mkdocs.yml, pages and nbconvert config
_exports = {'export', 'exports', 'exporti', 'exec_doc'}

## 1. nbdev's processing

def _mixed_imports(cell):
    "The import statements of a code cell that also runs other code (a test, a benchmark), else `None`"
    if not _do_eval(cell) or cell.directives_.keys() & _exports: return None  # nbdev would not run it, or runs all of it
    trees = cell.parsed_()
    imps = [t for t in trees if isinstance(t, (ast.Import, ast.ImportFrom))]
    if len(imps) == len(trees) or _show_docs(trees): return None
    return '\n'.join(map(ast.unparse, imps))

class exec_docs(exec_show_docs):
    "nbdev's `exec_show_docs`, except that a cell mixing imports with other code runs only its imports"
    def __call__(self, cell):
        imps = _mixed_imports(cell)
        if imps is None: return super().__call__(cell)
        if not self.nb.has_docs_ or not hasattr(self, 'k'): return
        self.k.run_cell(imps)
        if self.k.exc: raise Exception(f'{self.nb.path_}, cell {cell.idx_}: {imps}') from self.k.exc

class DocProcs(FilterDefaults):
    "nbdev's docs processors (`settings.ini` `procs`/`skip_procs` included), with `exec_docs`"
    def base_procs(self): return [exec_docs if p is exec_show_docs else p for p in super().base_procs()]

def notebooks(nbs):
    "Notebooks in `nbs` in `sidebar.yml` order, then by file name; those `sidebar.yml` does not list; those it lists that do not exist"
    def _flat(items):
        for o in items or []:
            if isinstance(o, str): yield o
            elif isinstance(o, dict): yield from _flat(o.get('contents', [o.get('href')] if o.get('href') else []))
    sb = yaml.safe_load((nbs/'sidebar.yml').read_text())
    listed = list(dict.fromkeys(nbs/o for o in _flat(sb['website']['sidebar']['contents']) if o.endswith('.ipynb')))
    found = sorted(p for p in nbs.rglob('*.ipynb')
                   if not any(s.startswith(('.', '_')) for s in p.relative_to(nbs).parts))
    return [p for p in listed if p in found] + [p for p in found if p not in listed], \
           [p for p in found if p not in listed], [p for p in listed if p not in found]

def proc_nbs(nbs, files):
    "Run nbdev's processors over `files` into `_proc/`, as `nbdev_proc_nbs` does (one process: torch is imported once)"
    PROC.mkdir(exist_ok=True)
    os.environ['IN_TEST'] = '1'  # progress bars off, as under nbdev_proc_nbs
    for f in files:
        nb = read_nb(f)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')  # nbdev's "imports and other code" warning: handled by exec_docs
            DocProcs()(nb)
        dest = PROC/f.relative_to(nbs)
        dest.parent.mkdir(parents=True, exist_ok=True)
        write_nb(nb, dest)
    del os.environ['IN_TEST']

## 2. What Quarto does with the processed notebooks

_opt = re.compile(r'^\s*#\s*\|\s*([\w-]+)\s*:?\s*(.*?)\s*$')
_link_attrs = re.compile(r'\[([^\]]*)\]\(([^)\s]+)\)\{([^}]*)\}')  # pandoc: [text](url){target="_blank" ...}

def cell_opts(src):
    "Quarto cell options at the top of `src` (`#| echo: false`; a bare `#| hide` is `{'hide': ''}`) and the rest"
    lines, opts = src.splitlines(), {}
    while lines and (m := _opt.match(lines[0])): opts[m.group(1)] = m.group(2).lower(); lines.pop(0)
    return opts, '\n'.join(lines)

def fix_links(md, doc_url, moved={}):
    "Doc links to this site become relative (`moved`: pages renamed here); pandoc link attributes become HTML"
    def rel(m): return (moved.get(m.group(1), m.group(1)) if m.group(2) else m.group(1)) + (m.group(2) or '')
    md = re.sub(re.escape(doc_url) + r'([\w./-]+\.html)(#[\w.-]+)?', rel, md)
    return _link_attrs.sub(r'<a href="\2" \3>\1</a>', md)

_code = re.compile(r'(```.*?```|`[^`\n]*`)', re.S)
_math = re.compile(r'\$\$(.+?)\$\$|(?<![\\$\w])\$(?!\s)([^$\n]+?)(?<!\s)\$(?![\w$])', re.S)

def tex2mathml(md):
    "LaTeX in markdown (`$...$`, `$$...$$`, not in code) as MathML, which browsers render with no script from a CDN"
    parts = _code.split(md)
    for i in range(0, len(parts), 2):
        parts[i] = _math.sub(lambda m: convert(m.group(1), display='block') if m.group(1) else convert(m.group(2)), parts[i])
    return ''.join(parts)

def _text(o, mime):
    v = o.get('data', {}).get(mime, '') if o.get('output_type') != 'stream' else o.get('text', '')
    return ''.join(v) if isinstance(v, list) else v

def to_page(nb, doc_url, name, moved={}):
    "Cells of processed notebook `nb` as Quarto renders them, title first; returns the page title"
    fm, cells = {}, []
    for c in nb.cells:
        if c.cell_type == 'raw':
            if not fm and c.source.startswith('---'): fm = yaml.safe_load(c.source.strip().strip('-')) or {}
            continue  # the front matter; other raw cells are not rendered in HTML either
        if c.cell_type == 'markdown':
            c.source = tex2mathml(fix_links(c.source, doc_url, moved)); cells.append(c); continue
        opts, src = cell_opts(c.source)
        if 'hide' in opts or opts.get('include') == 'false': continue
        for o in c.get('outputs', []):
            if 'text/markdown' in o.get('data', {}): o['data']['text/markdown'] = fix_links(_text(o, 'text/markdown'), doc_url, moved)
        echo, output = opts.get('echo') != 'false', opts.get('output', 'true')
        if output == 'asis':  # the outputs are markdown of the page (show_doc)
            if echo and src.strip(): cells.append(mk_cell(src))
            md = '\n\n'.join(_text(o, 'text/markdown') or _text(o, 'text/plain') for o in c.get('outputs', []))
            if md.strip(): cells.append(mk_cell(md, 'markdown'))
            continue
        c.source, c.execution_count = src, None
        tags = (['remove_input'] if not echo else []) + (['remove_output'] if output == 'false' else [])
        if tags: c.metadata['tags'] = tags
        if (echo and src.strip()) or (output != 'false' and c.get('outputs')): cells.append(c)
    title = fm.get('title') or name
    desc = f'\n\n<div class="description">{markdown.markdown(fm["description"])}</div>' if fm.get('description') else ''
    nb.cells = [mk_cell(f'# {title}{desc}', 'markdown')] + cells
    return title

def page_names(nbs, files):
    "The page of each notebook, named as nbdev names it (`00_core.ipynb`: `core.html`); pages renamed here to avoid a clash"
    names, moved = {}, {}
    for f in sorted(files, key=lambda f: f.name != 'index.ipynb'):  # the home page keeps index.html
        out = _nbpath2html(f.relative_to(nbs))
        if other := next((k for k, v in names.items() if v == out), None):
            new = f.relative_to(nbs).with_suffix('.html')
            print(f'site: WARNING: nbdev names both {other.name} and {f.name} {out} (it drops number prefixes), so with '
                  f'`nbdev_docs` one page overwrites the other and doc links to it go astray: rename {f.name}. Here it is {new}.')
            moved[out.as_posix()], out = new.as_posix(), new
        names[f] = out
    return names, moved

## 3. MkDocs

def mkdocs_yml(cfg, nav, site_dir):
    return dict(
        site_name=cfg.title, site_description=cfg.description, docs_dir='docs', site_dir=str(site_dir),
        use_directory_urls=False,  # core.html, as Quarto names pages: doc links keep working
        theme=dict(name='material', font=False, features=['search.highlight', 'navigation.top']),  # font: no Google Fonts
        extra_css=['styles.css'], hooks=[__file__],
        plugins=['search', {'mkdocs-jupyter': dict(
            execute=False, include_source=False, include_requirejs=False,
            remove_tag_config=dict(remove_input_tags=['remove_input'], remove_all_outputs_tags=['remove_output']))}],
        nav=[{t: p} for t, p in nav])

_heading = re.compile(r'<h([1-6])(?: id="[^"]*")?>(.*?)</h\1>', re.S)
_mathjax = re.compile(r'<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->', re.S)
_remote_script = re.compile(r'<script\b[^>]*>(?:(?!</script>).)*?https?://.*?</script>', re.S)  # mermaid.js

def on_page_content(html, page, **kwargs):
    "MkDocs hook: no scripts from other hosts; heading ids as Quarto makes them (`Config.update`: `config.update`), the page's contents from them"
    html = _remote_script.sub('', _mathjax.sub('', html))  # math is MathML already
    seen, toc = set(), []
    def fix(m):
        level, inner = int(m.group(1)), re.sub(r'<a class="anchor-link".*?</a>', '', m.group(2), flags=re.S)
        text = re.sub(r'<[^>]+>', '', inner).strip()
        id_ = base = re.sub(r'\s+', '-', re.sub(r'[^\w\s.-]', '', text).strip().lower()) or 'section'
        n = 0
        while id_ in seen: n += 1; id_ = f'{base}-{n}'
        seen.add(id_)
        if level > 1: toc.append(dict(level=level, id=id_, name=text, children=[]))
        return f'<h{level} id="{id_}">{inner}<a class="anchor-link" href="#{id_}">¶</a></h{level}>'
    html = _heading.sub(fix, html)
    nested, stack = [], []
    for t in toc:
        while stack and stack[-1]['level'] >= t['level']: stack.pop()
        (stack[-1]['children'] if stack else nested).append(t); stack.append(t)
    page.toc = get_toc(nested)
    return html

def build(site_dir=None):
    "Process the notebooks and build the site into `site_dir` (default: settings.ini `doc_path`, `_docs/`)"
    site_dir = Path(site_dir).resolve() if site_dir else None
    os.chdir(ROOT)  # nbdev finds settings.ini from the working directory
    t0, cfg = time.time(), get_config()
    nbs, site_dir = cfg.nbs_path, site_dir or cfg.doc_path
    files, unlisted, missing = notebooks(nbs)
    for p in unlisted: print(f'site: nbs/sidebar.yml does not list {p.name}: added after the notebooks it lists')
    for p in missing: print(f'site: nbs/sidebar.yml lists {p.name}, which does not exist')
    proc_nbs(nbs, files)
    t1 = time.time()

    if BUILD.exists(): shutil.rmtree(BUILD)
    docs = BUILD/'docs'
    shutil.copytree(nbs, docs, ignore=shutil.ignore_patterns('*.ipynb', '*.yml', '.*', '_*'))  # images, styles.css
    doc_url = cfg.doc_host.rstrip('/') + '/' + cfg.doc_baseurl.strip('/') + '/'
    names, moved = page_names(nbs, files)
    nav = []
    for f in files:
        nb = read_nb(PROC/f.relative_to(nbs))
        title, page = to_page(nb, doc_url, f.stem, moved), names[f].with_suffix('.ipynb')
        (docs/page).parent.mkdir(parents=True, exist_ok=True)
        write_nb(nb, docs/page)
        nav.append((title, page.as_posix()))
    (BUILD/'mkdocs.yml').write_text(yaml.safe_dump(mkdocs_yml(cfg, nav, site_dir), sort_keys=False))
    jcfg = BUILD/'jupyter'  # nbconvert's configuration: no `In [ ]:` prompts
    jcfg.mkdir()
    (jcfg/'jupyter_nbconvert_config.json').write_text(json.dumps(
        {'HTMLExporter': {'exclude_input_prompt': True, 'exclude_output_prompt': True}}))
    subprocess.run(['mkdocs', 'build', '--strict', '--quiet', '-f', str(BUILD/'mkdocs.yml')], check=True,
                   env={**os.environ, 'JUPYTER_CONFIG_DIR': str(jcfg), 'NO_MKDOCS_2_WARNING': '1'})
    t2 = time.time()
    print(f'site: {len(nav)} pages in {site_dir} in {t2-t0:.1f} s (notebook processing {t1-t0:.1f} s, mkdocs {t2-t1:.1f} s)')

if __name__ == '__main__':
    try: build(*sys.argv[1:2])
    except subprocess.CalledProcessError as e: sys.exit(f'site: mkdocs build failed (exit {e.returncode})')
