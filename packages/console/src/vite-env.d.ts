// CSS imports are handled by Vite (extracted into a hashed stylesheet).
declare module '*.css';
