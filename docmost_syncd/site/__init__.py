"""The site both commands publish: names (``naming``), where every page and file goes
(``layout``), the index of every page that links resolve against (``index``) and front matter
(``frontmatter``)."""
