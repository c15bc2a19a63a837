"""Write README.md from nbs/index.ipynb offline (nbdev_readme needs Quarto); `--check` fails if they differ.

Uses nbconvert's Markdown exporter; cells that nbdev hides (`#| hide`) are dropped and `#| echo: false`
cells keep only their outputs, as Quarto would render them; relative image paths point into nbs/."""
import re, sys
from pathlib import Path
import nbformat
from nbconvert import MarkdownExporter
from nbconvert.preprocessors import Preprocessor

_directive = re.compile(r'^\s*#\s*\|\s*(.+?)\s*$')

def _directives(src):
    "nbdev directives at the top of a cell"
    ds = []
    for line in src.splitlines():
        m = _directive.match(line)
        if not m: break
        ds.append(m.group(1))
    return ds

class NbdevDirectives(Preprocessor):
    "Drop hidden cells and strip directive lines, the way nbdev's docs build does"
    def preprocess(self, nb, resources):
        cells = []
        for c in nb.cells:
            ds = _directives(c.source) if c.cell_type=='code' else []
            if c.cell_type=='raw' or any(d in ('hide','exporti','hide_input') or d.startswith('default_exp') for d in ds): continue
            if c.cell_type=='code':
                c.source = '\n'.join(l for l in c.source.splitlines() if not _directive.match(l))
                if 'echo: false' in ds: c.source = ''
                if not c.source.strip() and not c.get('outputs'): continue
            cells.append(c)
        nb.cells = cells
        return nb, resources

def render(root=Path(__file__).resolve().parent.parent):
    nb = nbformat.read(root/'nbs'/'index.ipynb', as_version=4)
    exp = MarkdownExporter(exclude_input_prompt=True, exclude_output_prompt=True)
    exp.register_preprocessor(NbdevDirectives(), enabled=True)
    body, _ = exp.from_notebook_node(nb)
    body = re.sub(r'\n{3,}', '\n\n', body).strip()+'\n'
    body = re.sub(r'(!\[[^\]]*\]\()(?![a-z][\w+.-]*:|/|#)', r'\1nbs/', body)  # images lie in nbs/, README at the root
    return '<!-- Generated from nbs/index.ipynb by `python .ci/readme.py`: edit the notebook, not this file. -->\n\n' + body

if __name__=='__main__':
    root = Path(__file__).resolve().parent.parent
    text = render(root)
    if '--check' in sys.argv:
        if (root/'README.md').read_text(encoding='utf-8') != text:
            sys.exit('README.md differs from nbs/index.ipynb: run `python .ci/readme.py` and commit README.md')
        print('README.md matches nbs/index.ipynb')
    else: (root/'README.md').write_text(text, encoding='utf-8'); print('wrote README.md')
