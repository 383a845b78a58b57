export { documentPage } from './documentPage.js';
export { folderPage } from './folderPage.js';
export { mediaPage } from './mediaPage.js';
export { azIndexPage, indexPage } from './indexPages.js';
export { resources } from './resources.js';
