// The route of a folder of docs pages (docs-plugin.js nests them): it shows the page of the one
// route below it that matches, or Docusaurus's not-found content if none does.
import renderRoutes from '@docusaurus/renderRoutes';
import NotFoundContent from '@theme/NotFound/Content';

const NOT_FOUND = {path: '*', component: NotFoundContent};

export default function DocRouteGroup({route}) {
  return renderRoutes([...route.routes, NOT_FOUND]);
}
