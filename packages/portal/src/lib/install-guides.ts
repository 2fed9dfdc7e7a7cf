/**
 * Step-by-step install guides for the Install tab, one per way customers build sites. Each step is plain
 * text; each guide shows the customer's own snippet under its steps. Menu names follow each builder's
 * current admin (late 2026); where a builder needs a paid plan for custom code, the guide says so first.
 */
export type PlatformId = 'html' | 'wordpress' | 'shopify' | 'wix' | 'squarespace' | 'gtm';

export interface InstallGuide {
  id: PlatformId;
  name: string;
  /** Said before the steps: a plan requirement or a caveat. */
  note?: string;
  steps: string[];
}

export const INSTALL_GUIDES: readonly InstallGuide[] = [
  {
    id: 'html',
    name: 'Plain HTML',
    steps: [
      'Open the HTML file of each page where the chat should appear (or the shared footer template, if your pages use one).',
      'Paste the snippet on its own line just before the closing </body> tag.',
      'Save the file and upload it to your web server the way you usually publish changes.',
      'Open the page in a browser and reload it: the chat button appears in the bottom corner.',
    ],
  },
  {
    id: 'wordpress',
    name: 'WordPress',
    note: 'Works on any theme, without editing theme files (which a theme update would overwrite).',
    steps: [
      'In your WordPress admin, go to Plugins → Add New Plugin, search for “WPCode”, then click Install Now and Activate.',
      'Go to Code Snippets → Header & Footer.',
      'Paste the snippet into the Footer box.',
      'Click Save Changes, then reload your site: the chat button appears in the bottom corner.',
    ],
  },
  {
    id: 'shopify',
    name: 'Shopify',
    steps: [
      'In your Shopify admin, go to Online Store → Themes.',
      'Next to your current theme, click the … button, then Edit code.',
      'Under Layout, open theme.liquid.',
      'Find the closing </body> tag (near the end of the file) and paste the snippet on the line just above it.',
      'Click Save, then reload your store: the chat button appears in the bottom corner.',
    ],
  },
  {
    id: 'wix',
    name: 'Wix',
    note: 'Wix allows custom code on sites with a Premium plan and a connected domain.',
    steps: [
      'In your site’s dashboard, go to Settings, then Custom Code (under Advanced).',
      'Click + Add Custom Code at the top right.',
      'Paste the snippet into the code box and name it “FusionChatalyst chat”.',
      'Under Add Code to Pages choose All pages and Load code once; under Place Code in choose Body - end.',
      'Click Apply, then publish your site if Wix asks, and reload it: the chat button appears in the bottom corner.',
    ],
  },
  {
    id: 'squarespace',
    name: 'Squarespace',
    note: 'Squarespace allows code injection on the Core plan and above.',
    steps: [
      'In your Squarespace site, open Settings → Developer Tools → Code Injection (on older sites: Settings → Advanced → Code Injection).',
      'Paste the snippet into the Footer box.',
      'Click Save, then reload your site: the chat button appears in the bottom corner.',
    ],
  },
  {
    id: 'gtm',
    name: 'Google Tag Manager',
    note: '“Check my site” cannot see tags Google Tag Manager adds (they appear only once the page runs): use Preview, or open your site and look for the chat button.',
    steps: [
      'In Google Tag Manager, open your site’s container and click Tags → New.',
      'Click Tag Configuration and choose Custom HTML.',
      'Paste the snippet into the HTML box.',
      'Click Triggering and choose All Pages.',
      'Name the tag “FusionChatalyst chat” and click Save.',
      'Click Preview to try it on your site, then Submit → Publish to make it live.',
    ],
  },
];
