/** How the table writes its figures. */
export const ms = (value: number) => (value < 10 ? value.toFixed(1) : value.toFixed(0));
export const thousands = (n: number) => n.toLocaleString('en-US');
export const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(bytes < 1024 * 1024 ? 2 : 1);
