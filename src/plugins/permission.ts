/** Node 22 made the permission model stable as --permission; Node 20 only knows the experimental name. */
export function permissionFlag(): string {
  return Number(process.versions.node.split('.')[0]) >= 22 ? '--permission' : '--experimental-permission';
}
