export { documentPage } from './documentPage.js';
export { folderPage, type FolderParent } from './folderPage.js';
export { mediaPage } from './mediaPage.js';
export { azIndexPage, indexPage, type AzItem, type TopLevel } from './indexPages.js';
export { resources } from './resources.js';
