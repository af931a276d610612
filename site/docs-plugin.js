// Docusaurus's docs plugin, with one thing left out of its global data: the list of every page
// (id, path, sidebar). Docusaurus puts global data into main.js, which every reader loads first,
// so the list made main.js grow with the wiki (880 KB of its 3.7 MB at 5,000 pages). Only
// navbar items of type doc/docSidebar, the version dropdown and a versioned site's banner read
// it, and the kit has none of them. Everything else of the plugin is Docusaurus's own.
const docsPlugin = require('@docusaurus/plugin-content-docs');

module.exports = async function docsWithoutThePageList(context, options) {
  const plugin = await docsPlugin.default(context, options);
  return {
    ...plugin,
    contentLoaded(args) {
      const setGlobalData = (data) =>
        args.actions.setGlobalData({...data, versions: data.versions.map((version) => ({...version, docs: []}))});
      return plugin.contentLoaded({...args, actions: {...args.actions, setGlobalData}});
    },
  };
};
module.exports.validateOptions = docsPlugin.validateOptions;
