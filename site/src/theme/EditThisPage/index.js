// A page's link back to Docmost (docmost-syncd's custom_edit_url), named for what it opens: the
// page in Docmost's editor (output.edit_links = "editor", which needs a login), or the page's
// public share page (output.edit_links = "share", open to every reader).
import React from 'react';
import {ThemeClassNames} from '@docusaurus/theme-common';
import Link from '@docusaurus/Link';
import IconEdit from '@theme/Icon/Edit';

export default function EditThisPage({editUrl}) {
  const isShare = /\/share\/[^/]+\/p\//.test(new URL(editUrl, 'http://x').pathname);
  return (
    <Link to={editUrl} className={ThemeClassNames.common.editThisPage}>
      <IconEdit />
      {isShare ? 'Open in Docmost' : 'Edit in Docmost'}
    </Link>
  );
}
